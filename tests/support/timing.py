"""One timeout unit for every wait in the tests, scaled by CONTROLROOM_TIMEOUT_SCALE."""

import os

SCALE = float(os.environ.get("CONTROLROOM_TIMEOUT_SCALE", "1"))


def timeout(seconds: float = 5.0) -> float:
    """``seconds`` scaled for slow machines."""
    return seconds * SCALE

"""Hypothesis profiles for the fuzz suite.

``ci`` (the default) runs a few thousand cases per fast target in the normal test
run; ``HYPOTHESIS_PROFILE=long`` (with ``-m fuzz``) runs ten times as many.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "long",
    max_examples=20000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def scaled(examples: int) -> int:
    """``examples`` under the ci profile, ten times as many under long."""
    return examples * (10 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 1)

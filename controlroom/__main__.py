"""``python -m controlroom``: the same as the ``controlroom`` command."""

import sys

from controlroom.cli import main

sys.exit(main())

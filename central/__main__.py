"""`python -m central`: the same as `printstation-central`."""

import sys

from central.cli import main

sys.exit(main())

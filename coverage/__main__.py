"""`python -m coverage` runs the `coverage-sim` command line."""

import sys

from coverage.cli import main

sys.exit(main())

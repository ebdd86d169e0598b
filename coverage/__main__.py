"""`python -m coverage` runs the `coverage-sim` command line."""

import sys

from coverage.launch import main

sys.exit(main())

"""`python -m workflow.cli`: the same as the `orderflow` console script."""

import sys

from workflow.cli import main

sys.exit(main())

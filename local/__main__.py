"""`python -m local`: the offline run. See local/run.py and `python -m local --help`."""

import sys

from .run import main

sys.exit(main())

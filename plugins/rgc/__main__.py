"""python3 -m rgc: see reader.py."""

import sys

from .reader import main

sys.exit(main())

"""`python -m bench.settlement` (make bench-settlement)."""

import sys

from bench.settlement.run import main

sys.exit(main())

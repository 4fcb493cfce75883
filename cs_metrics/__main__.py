import sys

from cs_metrics.cli import main

sys.exit(main())

"""`python -m tui` runs the same command as `fashion-tui`."""

import sys

from tui.cli import main

sys.exit(main())

"""`python3 -m firstboot`: the same as the `firstboot` command."""

import sys

from .main import main

sys.exit(main())

"""`python3 -m sbc.firewall apply|show|check --config /data/sbc.yaml`."""

import sys

from .apply import main

sys.exit(main())

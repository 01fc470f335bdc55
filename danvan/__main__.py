"""``python -m danvan`` works like ``danvan``."""

import sys

from danvan.cli.main import main

sys.exit(main())

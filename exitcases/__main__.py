"""`python -m exitcases`, as `exitcases dev` starts its worker and API children."""

import sys

from exitcases.cli import main

sys.exit(main())

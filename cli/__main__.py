"""`python -m mediebild.cli`: the same as the `mediebild` command."""

import sys

from mediebild.cli.main import main

sys.exit(main())

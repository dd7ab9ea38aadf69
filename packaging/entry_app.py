"""Entry point of the built desktop app (PyInstaller runs this file)."""

import sys

from ui.shell.app import main

sys.exit(main())

"""Entry point of the built monitorctl (PyInstaller runs this file)."""

import sys

from monitor_app.cli.main import main

sys.exit(main())

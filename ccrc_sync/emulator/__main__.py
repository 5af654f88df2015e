"""`python -m ccrc_sync.emulator [--host] [--port] [--data]`, the same as `ccrc-sync emulator`."""

import sys

from ccrc_sync.cli import main

raise SystemExit(main(["emulator", *sys.argv[1:]]))

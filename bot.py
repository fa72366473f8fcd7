"""Échoppe entry point: `python bot.py run|demo|emulator|migrate`."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())

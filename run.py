#!/usr/bin/env python3
"""Command line of the engagement simulator; see `python run.py --help`."""

import sys

from simulation.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m sync.agent`` — see ``sync.agent.cli``."""

import sys

from sync.agent.cli import main

if __name__ == "__main__":
    sys.exit(main())

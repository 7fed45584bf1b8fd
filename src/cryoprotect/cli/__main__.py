"""``python -m cryoprotect.cli``."""

from cryoprotect.cli import main

main()

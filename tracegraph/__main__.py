"""``python -m tracegraph``: the command line."""

from tracegraph.api.cli import main

main()

"""`python -m practice ...`: the `practice` command (how `practice serve` starts its worker)."""

from practice.cli import main

main()

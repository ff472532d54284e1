"""`python -m practice ...`: the `practice` command (how `practice serve` starts its worker)."""

from practice.console import main

main()

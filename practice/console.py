"""The `practice` command's entry point. Every command runs in the app (practice/cli.py) but
`practice verify-log`, which needs only the configuration and the database, and so starts
without building the app (practice/verify_log.py)."""

import sys


def main() -> None:
    if sys.argv[1:2] == ["verify-log"]:
        from practice import verify_log

        verify_log.main(sys.argv[2:])
        return
    from practice.cli import main as run_in_app

    run_in_app()

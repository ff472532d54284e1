"""The README tour's letter pages: the demo practice built in a throwaway SQLite database
(`practice db upgrade`, `practice demo`), then the first page of its letter of each kind
turned into a PNG by pdftoppm (poppler-utils).

    .venv/bin/python tools/letter_pages.py docs/screenshots"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main(target: Path) -> None:
    practice = str(Path(sys.executable).with_name("practice"))
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PRACTICE_DATABASE_URL"] = f"sqlite:///{folder}/demo.db"
        for command in ("db", "upgrade"), ("demo",):
            subprocess.run([practice, *command], check=True, stdout=subprocess.DEVNULL)
        from sqlalchemy import select

        from practice import create_app
        from practice.db import db
        from practice.letters.models import Letter

        with create_app().app_context():
            for letter in db.session.scalars(select(Letter).order_by(Letter.id)):
                pdf, png = Path(folder) / "letter.pdf", target / f"letter-{letter.kind.replace('_', '-')}"
                pdf.write_bytes(letter.pdf)
                subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile",
                                str(pdf), str(png)], check=True)
                print(f"{png}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))

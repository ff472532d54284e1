"""The kinds of import the background jobs know. A domain registers its importer when it is
imported (practice/job_kinds.py imports them all)."""

from collections.abc import Callable
from dataclasses import dataclass

from practice.import_report import Preview


@dataclass(frozen=True)
class Importer:
    name: str  # "clients", kept in the jobs' payloads
    noun: str  # what each row becomes: "clients"
    permission: str  # what the user must be allowed to import (and to see the report)
    # check(session, text, now=..., progress=...) -> Preview: reads and checks, saves nothing;
    # progress(done, total) hears how far it has got.
    check: Callable[..., Preview]
    # save(session, actor, preview, now=...) -> rows saved; raises ImportRefused when a row is wrong.
    save: Callable[..., int]
    upload_endpoint: str  # the page to upload another file
    list_endpoint: str  # where the imported rows are listed
    # The report's columns besides the line and the check: (heading, column of the file).
    shown: tuple[tuple[str, str], ...]
    # recheck(session, text, checked, now=..., progress=...) -> Preview: the import's check of
    # the file, given the report of its check (`checked`): checks again what may have changed
    # since. Without one, the import checks the whole file again.
    recheck: Callable[..., Preview] | None = None


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    IMPORTERS[importer.name] = importer
    return importer


def importer_named(name: str) -> Importer | None:
    return IMPORTERS.get(name)

"""The letter register and the composer's choices, each in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, load_only

from practice.auth.models import Practitioner
from practice.clients.models import Client
from practice.db import db
from practice.letters.models import KINDS, Letter, LetterTemplate


@dataclass
class RegisterFilters:
    kind: str = ""
    author_id: int = 0
    start: date | None = None
    end: date | None = None


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


# What the register shows of each letter, its client and who signed it: not the letter's
# body and title, nor the client's dozens of columns (building 25 letters read them all).
_REGISTER_COLUMNS = (
    load_only(Letter.id, Letter.kind, Letter.client_id, Letter.author_id, Letter.recipient, Letter.channel,
              Letter.issued_at),
    joinedload(Letter.client).load_only(Client.id, Client.display_name),
    joinedload(Letter.author).load_only(Practitioner.id, Practitioner.display_name),
)


def register(filters: RegisterFilters, *, zone: ZoneInfo, readable, page: int, per_page: int):
    """One page of issued letters, newest first (count and rows: two queries): replies to
    inquiries, and letters to the clients whose record the reader may open (`readable`: an
    SQL condition on Letter.client_id, from practice.auth.permissions.readable_clients).
    The count reads the letters alone (SQLite scans an index of 1,000 letters in 0.03 ms);
    paginate's count of the page's query joined every letter's client (0.5 ms)."""
    conditions = [or_(Letter.client_id.is_(None), readable)]
    if filters.kind in KINDS:
        conditions.append(Letter.kind == filters.kind)
    if filters.author_id:
        conditions.append(Letter.author_id == filters.author_id)
    if filters.start:
        conditions.append(Letter.issued_at >= _day_start(filters.start, zone))
    if filters.end:
        conditions.append(Letter.issued_at < _day_start(filters.end + timedelta(days=1), zone))
    query = (select(Letter).options(*_REGISTER_COLUMNS).where(*conditions)
             .order_by(Letter.issued_at.desc(), Letter.id.desc()))
    found = db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)
    found.total = db.session.scalar(select(func.count()).select_from(Letter).where(*conditions))
    return found


def template_versions() -> dict[str, LetterTemplate]:
    """The latest version of each kind's text that the practice has saved (one query)."""
    latest = (select(LetterTemplate.kind, func.max(LetterTemplate.version).label("version"))
              .group_by(LetterTemplate.kind).subquery())
    rows = db.session.scalars(select(LetterTemplate).options(joinedload(LetterTemplate.created_by)).join(
        latest, and_(latest.c.kind == LetterTemplate.kind, latest.c.version == LetterTemplate.version)))
    return {row.kind: row for row in rows}


def signers() -> list[Practitioner]:
    return list(db.session.scalars(select(Practitioner).where(Practitioner.active.is_(True))
                                   .order_by(Practitioner.display_name)))

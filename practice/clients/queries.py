import re
from collections.abc import Iterator
from typing import NamedTuple

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from practice.auth.models import Practitioner
from practice.clients import identity
from practice.clients.models import Client
from practice.db import db
from practice.messages.models import EmailConsent

# How many pages past the one shown a search counts: the pager links the next four
# (Pagination.iter_pages' right_current), so a search counts the matches up to those and
# one more, which says "more than that". Counting them all walked the whole search index
# for a common name (SQLite: 2.3 ms for 334 of 20,000 clients, 0.9 ms up to the 126th).
PAGES_COUNTED_AHEAD = 4


def search_clients(text: str, *, page: int, per_page: int, include_archived: bool = False):
    """One page of clients matching `text` in any name, the phone or the e-mail, with how
    many match (`total`): all of them, or with a search at most those on the pages up to
    PAGES_COUNTED_AHEAD after this one, `more` saying whether others follow. Counted on the
    search's index alone (the page's query reads the records)."""
    conditions = [] if include_archived else [Client.archived_at.is_(None)]
    condition = _matching(text)
    if condition is not None:
        conditions.append(condition)
    query = (select(Client).options(joinedload(Client.primary_practitioner)).where(*conditions)
             .order_by(func.lower(Client.display_name), Client.id))
    found = db.paginate(query, page=page, per_page=per_page, error_out=False, count=False)
    if condition is None:
        found.total, found.more = db.session.scalar(select(func.count()).select_from(Client).where(*conditions)), False
        return found
    counted = (page + PAGES_COUNTED_AHEAD) * per_page
    matches = db.session.scalar(select(func.count()).select_from(
        select(Client.id).where(*conditions).limit(counted + 1).subquery()))
    found.total, found.more = min(matches, counted), matches > counted
    return found


SEARCH_LENGTH = 200  # what a search reads of the text typed (SQLite refuses very long patterns)


def _matching(text: str):
    """Clients with `text` in a name or the e-mail, or its digits (three or more) in the
    phone; None for an empty search."""
    text = text.replace("\x00", "").strip()[:SEARCH_LENGTH]  # PostgreSQL refuses NUL in text
    if not text:
        return None
    # search_text holds the names in lower case and the e-mail (see Client.search_text).
    conditions = [_contains(Client.search_text, text.lower())]
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        # Stored numbers are E.164; a national number typed with its leading 0 still
        # matches on the digits after it.
        conditions.append(Client.phone.like(f"%{digits.lstrip('0')}%"))
    return or_(*conditions)


def _contains(column, text: str):
    """`column` LIKE '%text%', with an ESCAPE clause only when the text has a character to
    escape: SQLite tests each row more slowly with one (a search's count over 20,000 clients,
    2.5 against 2.2 ms). Without one, PostgreSQL escapes with a backslash, which the text
    then has not."""
    escaped = escape_like(text)
    if escaped == text:
        return column.like(f"%{text}%")
    return column.like(f"%{escaped}%", escape="\\")


def find_clients(text: str, *, page: int, per_page: int) -> tuple[list[Client], bool]:
    """The client picker's search: one page of the clients (not archived) matching `text`,
    by name, and whether more follow. One query; an empty search finds no one."""
    condition = _matching(text)
    if condition is None:
        return [], False
    found = list(db.session.scalars(
        select(Client).where(Client.archived_at.is_(None), condition)
        .order_by(func.lower(Client.display_name), Client.id)
        .offset((page - 1) * per_page).limit(per_page + 1)))
    return found[:per_page], len(found) > per_page


def is_found_by(client: Client, text: str) -> bool:
    """Whether a search for `text` finds this client (as the picker's search would)."""
    condition = _matching(text)
    return condition is not None and db.session.scalar(
        select(Client.id).where(Client.id == client.id, condition)) is not None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Built once, not on each view of a client's pages.
_CLIENT_FOR_PAGE = (select(Client).options(joinedload(Client.primary_practitioner))
                    .where(Client.id == bindparam("client_id")))


def client_for_page(client_id: int) -> Client | None:
    return db.session.scalar(_CLIENT_FOR_PAGE, {"client_id": client_id})


# The client page's client with the e-mail choices it shows and who recorded them, and the
# clients who cannot be booked sharing a phone, an e-mail or a date of birth with them (the
# identity check's candidates), in the client's statement: on PostgreSQL each read in a
# statement of its own was a round trip and a planning. The alias is not named "blocked":
# Client.identity_hold's subquery has a table of that name, which would hide this one from it.
_SHARING = aliased(Client, name="sharing")
_CLIENT_OF_PAGE = (
    select(Client, EmailConsent, _SHARING).outerjoin(EmailConsent, EmailConsent.client_id == Client.id)
    .outerjoin(_SHARING, identity.sharing_keys(Client, _SHARING))
    .options(joinedload(Client.primary_practitioner), joinedload(EmailConsent.recorded_by))
    .where(Client.id == bindparam("client_id")).order_by(_SHARING.id))


class ClientOfPage(NamedTuple):
    client: Client
    email_consent: EmailConsent | None  # None: never asked
    blocked: list[Client]  # who cannot be booked and shares a key with the client, by id


def client_of_page(client_id: int) -> ClientOfPage | None:
    """The client for the client page, with their e-mail choices and the blocked clients
    identity compares them with (identity.matches_among), or None."""
    rows = db.session.execute(_CLIENT_OF_PAGE, {"client_id": client_id}).all()
    if not rows:
        return None
    client, email_consent, _ = rows[0]
    return ClientOfPage(client, email_consent, [row[2] for row in rows if row[2] is not None])


EXPORT_CHUNK = 500  # clients the export reads at a time


def clients_for_export() -> Iterator:
    """Every client as a plain row (the export's columns, the primary practitioner's name as
    `practitioner`), read EXPORT_CHUNK rows at a time as the file is sent: one query, no ORM
    objects for a list of thousands."""
    yield from db.session.execute(
        select(Client.id, Client.display_name, Client.legal_name, Client.pronouns, Client.phone,
               Client.email, Client.address, Client.date_of_birth,
               Practitioner.display_name.label("practitioner"), Client.referral_source,
               Client.created_at, Client.archived_at)
        .outerjoin(Practitioner, Practitioner.id == Client.primary_practitioner_id)
        .order_by(Client.id)
        .execution_options(yield_per=EXPORT_CHUNK)
    )

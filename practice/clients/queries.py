import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from practice.clients.models import UNBOOKABLE_STANDINGS, Client
from practice.db import db


def search_clients(text: str, *, page: int, per_page: int, include_archived: bool = False):
    """One page of clients matching `text` in any name, the phone or the e-mail."""
    query = select(Client).options(joinedload(Client.primary_practitioner))
    if not include_archived:
        query = query.where(Client.archived_at.is_(None))
    text = text.replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if text:
        pattern = f"%{_escape_like(text.lower())}%"
        conditions = [
            func.lower(Client.display_name).like(pattern, escape="\\"),
            func.lower(Client.legal_name).like(pattern, escape="\\"),
            Client.email.like(pattern, escape="\\"),
        ]
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 3:
            # Stored numbers are E.164; a national number typed with its leading 0 still
            # matches on the digits after it.
            conditions.append(Client.phone.like(f"%{digits.lstrip('0')}%"))
        query = query.where(or_(*conditions))
    query = query.order_by(func.lower(Client.display_name), Client.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def client_for_page(client_id: int) -> Client | None:
    return db.session.scalar(
        select(Client).options(joinedload(Client.primary_practitioner)).where(Client.id == client_id)
    )


def all_clients_for_export() -> list[Client]:
    return list(
        db.session.scalars(
            select(Client).options(joinedload(Client.primary_practitioner)).order_by(Client.id)
        )
    )


def bookable_clients() -> list[Client]:
    """Clients the booking form offers: not archived, not moved on or declined."""
    return list(db.session.scalars(
        select(Client)
        .where(Client.archived_at.is_(None), Client.standing.not_in(UNBOOKABLE_STANDINGS))
        .order_by(func.lower(Client.display_name))
    ))


def practitioner_sees_client(practitioner_id: int, client: Client) -> bool:
    """A client's practitioners: their primary practitioner and anyone who has (had) an
    appointment with them; a client with neither is open to every practitioner."""
    from practice.scheduling.models import Appointment  # scheduling imports clients

    if client.primary_practitioner_id == practitioner_id:
        return True
    seen_by = set(db.session.scalars(
        select(Appointment.practitioner_id).where(Appointment.client_id == client.id).distinct()
    ))
    return practitioner_id in seen_by or (client.primary_practitioner_id is None and not seen_by)

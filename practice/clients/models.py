import string
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, exists, func
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from practice.auth.models import Practitioner, User
from practice.db import db, one_of, only_on

UNBOOKABLE_STANDINGS = ("moved_on", "declined")
# The ladder, in order; the practitioner decides which rung a client is on.
STANDINGS = {
    "active": "Active",
    "watch": "Watch",
    "warned": "Warned",
    "final_notice": "Final notice",
    "moved_on": "Moved on",
    "declined": "Declined",
}


def may_be_booked(standing: str, identity_hold: bool) -> bool:
    """Whether a client may be booked, from the two columns that say so (Client.bookable;
    pages that read plain rows of hundreds of clients ask this)."""
    return standing not in UNBOOKABLE_STANDINGS and not identity_hold


class Client(db.Model):
    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The name the practice knows the client by; a working alias is enough.
    display_name: Mapped[str] = mapped_column(String(120), index=True)
    legal_name: Mapped[str] = mapped_column(String(200), default="", index=True)
    pronouns: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)  # E.164 when valid
    email: Mapped[str] = mapped_column(String(254), default="", index=True)  # normalised
    address: Mapped[str] = mapped_column(Text, default="")
    date_of_birth: Mapped[date | None] = mapped_column(index=True)  # a name matches only with it
    primary_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioner.id"))
    referral_source: Mapped[str] = mapped_column(String(200), default="")
    # active | watch | warned | final_notice | moved_on | declined (the conduct record keeps
    # the history of changes); moved_on and declined cannot be booked.
    standing: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]
    # What the clients search looks in: both names in lower case and the e-mail, a line apart.
    # Kept by the database (triggers of migrations 0032 and 0038) whoever writes the names; a
    # writer may give it (search_text_of), and the database corrects it if it is not right.
    search_text: Mapped[str] = mapped_column(String(600), server_default="")

    primary_practitioner: Mapped[Practitioner | None] = relationship()

    # identity_hold (below the IdentityMatch model): the record matches a client who cannot be
    # booked, and nobody has decided yet whether it is the same person.

    @property
    def blocked(self) -> bool:
        """The client's own standing forbids booking (an override may still book them)."""
        return self.standing in UNBOOKABLE_STANDINGS

    @property
    def bookable(self) -> bool:
        return may_be_booked(self.standing, self.identity_hold)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


# SQLite's lower() folds the ASCII letters only (PostgreSQL's every letter, as its locale says).
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def search_text_of(display_name: str, legal_name: str, email: str) -> str:
    """A client's search text as SQLite's trigger writes it: a writer of many rows (the CSV
    import) gives it, and the trigger, finding it right, leaves each new row alone instead of
    writing it a second time. Where it differs (PostgreSQL lowering a non-ASCII letter), the
    database writes its own."""
    return f"{_sqlite_lower(display_name)}\n{_sqlite_lower(legal_name)}\n{email}"


def _sqlite_lower(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


# The client list's order (by name, whatever the capitals), read from the index a page at a
# time. A search (LIKE '%…%', which no index can seek) walks the same order and tests each
# entry's search text, archived_at and phone in the index itself: a record is read only when
# it matches, and the search's count scans this index rather than the table.
Index("ix_client_search", func.lower(Client.display_name), Client.id, Client.archived_at, Client.search_text,
      Client.phone)
# The list's count of clients not archived, from an index of their ids alone: PostgreSQL
# otherwise reads the whole table for it (about half the list's time at 20,000 clients).
# SQLite counts them quickly from an index it already has.
only_on("postgresql", Index("ix_client_not_archived", Client.id, postgresql_where=Client.archived_at.is_(None)))
# PostgreSQL tests LIKE '%…%' slowly, row by row (9 ms for 20,000 clients, counting a search's
# matches): a trigram index (pg_trgm) finds the rows that can match any search of three
# characters or more. SQLite needs none (the walk above is quick there) and has no such index.
only_on("postgresql", Index("ix_client_search_trigrams", Client.search_text, Client.phone, postgresql_using="gin",
                            postgresql_ops={"search_text": "gin_trgm_ops", "phone": "gin_trgm_ops"}))
# Each practitioner's clients, with what the caseload report counts of them (active, new in
# a period) read from the index alone.
Index("ix_client_primary_practitioner_id_caseload", Client.primary_practitioner_id, Client.archived_at,
      Client.standing, Client.created_at)
# The clients who came in a period, with their practitioner: the caseload report's "new in
# the range" reads a year's newcomers only (the active ones are counted in
# practice.reports.models.ActiveClients).
Index("ix_client_created_at_primary_practitioner_id", Client.created_at, Client.primary_practitioner_id)


class StandingChange(db.Model):
    """A decision about a client's standing, with its reason. Kept forever (append-only)."""

    __tablename__ = "standing_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    from_standing: Mapped[str] = mapped_column(String(20))
    to_standing: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    changed_by: Mapped[User | None] = relationship()

    # The reports' standing changes of a range (for one practitioner, of their clients).
    __table_args__ = (Index("ix_standing_change_changed_at", "changed_at", "from_standing", "to_standing",
                            "client_id"),)


class PrivateNote(db.Model):
    """A note only its author ever sees: a thought about the client, or a consultation
    (talking the case through with a trusted colleague)."""

    __tablename__ = "private_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # note | consultation
    colleague: Mapped[str] = mapped_column(String(200), default="")  # consulted, if any
    body: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]


class CareGrant(db.Model):
    """Access to a client's record given to a practitioner, with its reason, by the client's
    primary practitioner or an admin. Revoking keeps the row (revoked_at)."""

    __tablename__ = "care_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioner.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    practitioner: Mapped[Practitioner] = relationship()
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])


class IdentityMatch(db.Model):
    """A client record that matches a client who cannot be booked (same phone, e-mail, or
    name with date of birth). Undecided (decision ""), it holds the record from booking; a
    practitioner or admin decides "same" (the record takes the standing) or "different"
    (with a reason; the pair no longer matches)."""

    __tablename__ = "identity_match"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    matched_client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    matched_on: Mapped[str] = mapped_column(String(100))  # "phone, e-mail, name and date of birth"
    found_at: Mapped[datetime]
    decision: Mapped[str] = mapped_column(String(10), default="", server_default="")  # "" | same | different
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    client: Mapped[Client] = relationship(foreign_keys=[client_id])
    matched: Mapped[Client] = relationship(foreign_keys=[matched_client_id])
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("client_id", "matched_client_id", name="uq_identity_match_pair"),)


_blocked = Client.__table__.alias("blocked")


def identity_hold_of(client_id):
    """SQL: the client `client_id` (a column) has an undecided match with a client whose
    standing still forbids booking. Pages of hundreds of appointments ask it by the
    appointment's client_id, with no lookup of the client's own row."""
    return exists().where(
        IdentityMatch.client_id == client_id, IdentityMatch.decision == "",
        IdentityMatch.matched_client_id == _blocked.c.id, one_of(_blocked.c.standing, UNBOOKABLE_STANDINGS),
    )


# Loaded with every client (a correlated EXISTS, no extra query).
Client.identity_hold = column_property(identity_hold_of(Client.id), deferred=False)

"""The referral network's own schema, and the database session it works in.

Its tables (referrals.models) are declared on a MetaData of their own, so a site that runs
the network without the practice gets these tables and no other (its migrations are in
referrals/migrations). The practice adds them to its own schema with its foreign keys
(practice/models.py).

`db` is the Flask-SQLAlchemy the app registered: practice.db.db inside the practice, the
site's own elsewhere. The network's writes share that session, so a referral and whatever
the site does about it (a listener of referrals.signals) are committed together."""

from datetime import datetime

from flask import current_app
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry
from werkzeug.local import LocalProxy

from practice.db import NAMING_CONVENTION, UTCDateTime

HOST_KEY = "refers_to_host"


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


metadata = Base.metadata

db = LocalProxy(lambda: current_app.extensions["sqlalchemy"])


def host_id(kind: str, **options):
    """A column holding the id of one of the host's records (`kind`: "user", "client",
    "practitioner"). The network does not know the host's tables, so there is no foreign
    key here; a host that has them may add one (the practice does)."""
    return mapped_column(info={HOST_KEY: kind}, **options)

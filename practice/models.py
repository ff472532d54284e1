"""Every domain's tables, imported together so the metadata (and Alembic) sees them all,
the referral network's included (below)."""

from sqlalchemy import ForeignKeyConstraint

from practice.audit.models import AuditEvent
from practice.auth.models import LoginAttempt, Practitioner, User
from practice.booking.models import (
    BookingHold,
    OnlineBooking,
    OnlinePractitioner,
    OnlineService,
    PublicRequest,
)
from practice.clients.models import Client, PrivateNote, StandingChange
from practice.conduct.models import Attachment, Communication, ConductEntry, IncidentCategory
from practice.db import db, only_on
from practice.jobs.models import Job, JobFile
from practice.letters.models import Letter, LetterDelivery, LetterSettings, LetterTemplate
from practice.messages.models import EmailConsent, Message, MessageAttachment, MessageSettings
from practice.policies.models import AcknowledgementRequest, Policy, PolicyAcknowledgement
from practice.reports import summary  # noqa: F401  (keeps the reports' summary with each flush)
from practice.reports.models import DayFigures, OwingAppointment
from practice.review.models import ReviewedDay
from practice.scheduling.models import (
    Appointment,
    Payment,
    PractitionerSchedule,
    SchedulingPolicy,
    Service,
    TimeBlock,
    WorkingHours,
)
from practice.settings.models import PracticeProfile
from referrals.database import HOST_KEY
from referrals.database import metadata as referral_network
from referrals.models import Inquiry, Modality, Referral, Specialist

__all__ = [
    "Appointment", "Attachment", "AuditEvent", "Communication", "ConductEntry", "IncidentCategory", "Client", "LoginAttempt", "Payment", "PracticeProfile",
    "Practitioner", "PractitionerSchedule", "PrivateNote", "ReviewedDay", "StandingChange", "SchedulingPolicy", "Service", "TimeBlock", "User",
    "WorkingHours",
    "Policy", "PolicyAcknowledgement",
    "Inquiry", "Modality", "Referral", "Specialist",
    "Letter", "LetterSettings", "LetterTemplate",
    "Job", "JobFile",
    "Message", "MessageAttachment", "MessageSettings", "EmailConsent", "LetterDelivery", "AcknowledgementRequest",
    "BookingHold", "OnlineBooking", "OnlinePractitioner", "OnlineService", "PublicRequest",
    "DayFigures", "OwingAppointment",
]

# The practice's table behind each kind of id the referral network keeps of its host's
# records (referrals.database.host_id).
HOST_TABLES = {"user": User, "client": Client, "practitioner": Practitioner}


def _add_the_referral_network() -> None:
    """The referral network declares its tables on a MetaData of its own, without foreign
    keys to people it does not know (a site may run it without the practice). In the
    practice's database those columns do refer to the practice's users, clients and
    practitioners. Copies of the network's tables, with these keys, complete the practice's
    schema: what its migrations build and are checked against. The models keep mapping the
    network's own tables (same names, same columns)."""
    for table in referral_network.sorted_tables:
        copy = table.to_metadata(db.metadata)
        for column in list(copy.columns):
            kind = column.info.get(HOST_KEY)
            if kind:
                copy.append_constraint(ForeignKeyConstraint([column], [HOST_TABLES[kind].__table__.c.id]))
        # The copy's indexes lose being one database's only (practice.db.only_on): given back.
        for index in table.indexes:
            if "only_on" in index.info:
                only_on(index.info["only_on"], next(i for i in copy.indexes if i.name == index.name))


_add_the_referral_network()

"""Every domain's tables, imported together so the metadata (and Alembic) sees them all."""

from practice.audit.models import AuditEvent
from practice.auth.models import LoginAttempt, Practitioner, User
from practice.clients.models import Client, PrivateNote, StandingChange
from practice.conduct.models import Attachment, Communication, ConductEntry, IncidentCategory
from practice.jobs.models import Job, JobFile
from practice.letters.models import Letter, LetterDelivery, LetterSettings, LetterTemplate
from practice.messages.models import EmailConsent, Message, MessageAttachment, MessageSettings
from practice.policies.models import AcknowledgementRequest, Policy, PolicyAcknowledgement
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
]

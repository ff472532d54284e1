"""Every domain's tables, imported together so the metadata (and Alembic) sees them all."""

from practice.audit.models import AuditEvent
from practice.auth.models import LoginAttempt, Practitioner, User
from practice.clients.models import Client
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

__all__ = [
    "Appointment", "AuditEvent", "Client", "LoginAttempt", "Payment", "PracticeProfile",
    "Practitioner", "PractitionerSchedule", "SchedulingPolicy", "Service", "TimeBlock", "User",
    "WorkingHours",
]

"""Every domain's kinds of background job, imported together so that the pages and the
worker know them all (see practice/jobs/registry.py)."""

from practice.conduct.jobs import EVIDENCE_REPORT
from practice.messages.sending import SCHEDULE, SEND

__all__ = ["EVIDENCE_REPORT", "SCHEDULE", "SEND"]

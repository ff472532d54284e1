"""Every domain's kinds of background job, imported together so that the pages and the
worker know them all (see practice/jobs/registry.py)."""

from practice.conduct.jobs import CHAIN_CHECK, EVIDENCE_REPORT
from practice.letters.jobs import BATCH as LETTER_BATCH
from practice.messages.sending import SCHEDULE, SEND

__all__ = ["CHAIN_CHECK", "EVIDENCE_REPORT", "LETTER_BATCH", "SCHEDULE", "SEND"]

"""Every domain's kinds of background job, imported together so that the pages and the
worker know them all (see practice/jobs/registry.py)."""

from practice.clients import csv_io  # noqa: F401  (registers the clients' importer)
from practice.conduct.jobs import CHAIN_CHECK, EVIDENCE_REPORT
from practice.housekeeping import HOUSEKEEPING
from practice.imports.jobs import CHECK_IMPORT, RUN_IMPORT
from practice.letters.jobs import BATCH as LETTER_BATCH
from practice.messages.sending import SCHEDULE, SEND
from practice.referral_host import DIRECTORY  # noqa: F401  (registers the directory's importer)

__all__ = ["CHAIN_CHECK", "CHECK_IMPORT", "EVIDENCE_REPORT", "HOUSEKEEPING", "LETTER_BATCH", "RUN_IMPORT", "SCHEDULE", "SEND"]

"""Large imports in the background: an upload is kept (job_upload) and checked by a job that
writes the row-by-row report; the report is read a page at a time; confirming queues the
import job, which checks the file again and saves every row or none. Each import (the
clients', the referral directory's) is an `Importer` (registry.py)."""

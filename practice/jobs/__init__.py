"""Background jobs: long work (reports, batches, imports, e-mail) queued in the application's
own database, in the transaction of the action that asks for it, and run by `practice worker`
with retries, progress and a file to download when done."""

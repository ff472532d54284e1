"""The conduct record: policy breaches and boundary incidents, append-only and hash-chained,
communications with the client, and the evidence report."""

from practice.conduct import listeners

listeners.connect()

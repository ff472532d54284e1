"""The conduct record: policy breaches and boundary incidents, append-only and hash-chained,
communications with the client, and the evidence report.

Importing the package connects nothing (`practice verify-log` imports only the chain's check,
practice/conduct/canonical.py): the app factory connects the automatic entries
(`listeners.connect()`)."""

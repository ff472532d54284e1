"""Domain events of the conduct record (Blinker signals, as Flask's own).

`conduct_recorded` is sent inside the unit of work that appends each entry (incidents,
corrections and the automatic entries), before the commit, with the entry and a `facts`
dict: entry_id, client_id, kind, safety, source, occurred_from, corrects_id. The standing
suggestions and a host application listen; a listener adds and flushes in the same
session, never commits."""

from blinker import Namespace

events = Namespace()

conduct_recorded = events.signal("conduct-recorded")

"""Domain events of client records (Blinker signals), sent inside the change's unit of work,
before the commit: a listener adds and flushes in the same session, never commits."""

from blinker import Namespace

events = Namespace()

# sender: the client; facts: from_standing, to_standing, reason, changed_at, changed_by_id
standing_changed = events.signal("standing-changed")

"""Domain events of client records (Blinker signals), sent after the change is committed."""

from blinker import Namespace

events = Namespace()

# sender: the client; facts: from_standing, to_standing, reason, changed_at, changed_by_id
standing_changed = events.signal("standing-changed")

"""Domain events of the conduct record (Blinker signals, as Flask's own).

`conduct_recorded` is sent after each entry is committed (incidents, corrections and the
automatic entries), with the entry and a `facts` dict: entry_id, client_id, kind, safety,
source, occurred_from, corrects_id. The standing suggestions and a host application listen."""

from blinker import Namespace

events = Namespace()

conduct_recorded = events.signal("conduct-recorded")

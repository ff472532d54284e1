"""Letter events, as Blinker signals (Flask's own): a host application can listen."""

from blinker import Namespace

_signals = Namespace()

# sender: the Letter; keyword facts: kind, client_id, inquiry_id, referral_id
letter_issued = _signals.signal("letter-issued")

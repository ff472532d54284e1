"""Letter events, as Blinker signals (Flask's own): a host application can listen. Sent
inside the issuing's unit of work, before the commit: a listener adds and flushes in the
same session, never commits."""

from blinker import Namespace

_signals = Namespace()

# sender: the Letter; keyword facts: kind, client_id, inquiry_id, referral_id
letter_issued = _signals.signal("letter-issued")

"""Domain events of the referral network (Blinker signals, as Flask's own), for hosts and
other domains to listen to. Each is sent inside its write's unit of work, before the
commit: a listener adds and flushes in the same session, never commits."""

from blinker import Namespace

_signals = Namespace()

# sender: the Referral; facts: client_id, specialist_id, need, follow_up_on
referral_made = _signals.signal("referral-made")
# sender: the Referral; facts: outcome
referral_outcome_recorded = _signals.signal("referral-outcome-recorded")
# sender: the Inquiry; facts: status
inquiry_changed = _signals.signal("inquiry-changed")

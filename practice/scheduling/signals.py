"""Domain events of the schedule (Blinker signals, as Flask's own).

Each is sent inside the action's unit of work, once the change is flushed and before it is
committed, with the appointment and a `facts` dict that holds everything a listener (the
conduct record, a host's SMS or accounting) needs. A listener adds and flushes in the same
session and never commits: what it writes is saved with the action or not at all, and one
that raises undoes the action. Work that must wait for the commit (sending an SMS, say) is
written as a job in the same transaction."""

from blinker import Namespace

events = Namespace()

appointment_booked = events.signal("appointment-booked")
appointment_rescheduled = events.signal("appointment-rescheduled")
appointment_checked_in = events.signal("appointment-checked-in")
appointment_completed = events.signal("appointment-completed")
appointment_cancelled = events.signal("appointment-cancelled")  # facts["late"] tells which
appointment_no_show = events.signal("appointment-no-show")
fee_waived = events.signal("fee-waived")
payment_recorded = events.signal("payment-recorded")
appointment_left_unpaid = events.signal("appointment-left-unpaid")
# A check-in, no-show or cancellation put back to booked: facts["undone"] is the status it
# had, facts["reason"] why, facts["undone_by"] the Actor who undid it.
appointment_undone = events.signal("appointment-undone")

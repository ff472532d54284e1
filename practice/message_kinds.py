"""Every domain's kinds of message and the listeners that write them, imported together (by
the app factory) so that the outbox, its pages and the worker know them all (see
practice/messages/registry.py)."""

from practice.auth import invitations
from practice.booking import services as online_booking
from practice.letters import delivery
from practice.messages import appointments
from practice.policies import online

appointments.connect()  # confirmations of bookings, moves and cancellations
delivery.connect()      # letters issued with the channel "e-mail"

__all__ = ["appointments", "delivery", "invitations", "online", "online_booking"]

"""Invitations and password-reset links sent by e-mail when e-mail is configured. Without it,
nothing is written and the admin is shown the link to pass on, as before."""

from datetime import datetime, timedelta

from practice.audit.services import Actor
from practice.auth.models import User
from practice.messages import links
from practice.messages import services as messages
from practice.messages.models import Message
from practice.messages.registry import MessageKind, register
from practice.settings.services import get_practice

INVITATION, RESET = "account.invitation", "account.password_reset"


def email_account_link(session, actor: Actor, user: User, token: str, *, reset: bool, valid_for: timedelta,
                       now: datetime) -> Message | None:
    """E-mail `user` the link (an invitation, or a new password) made from `token`; None when
    e-mail is not configured."""
    if not messages.mail(session).ready:
        return None
    practice = get_practice(session).name
    return messages.queue_message(
        session, kind=RESET if reset else INVITATION, to=user.email, to_name=user.name,
        subject=f"Set a new password for {practice}" if reset else f"Your account at {practice}",
        template="password_reset" if reset else "invitation",
        context={"first_name": messages.first_name(user.name), "link": links.external("auth.accept_invitation", token=token),
                 "days": valid_for.days},
        actor=actor, now=now)


register(MessageKind(INVITATION, "Invitation"))
register(MessageKind(RESET, "Password reset"))

"""The policy acknowledged online: "ask to acknowledge" e-mails the client a signed link, good
once and for PRACTICE_ACKNOWLEDGE_LINK_DAYS; the page it opens shows the version in force,
and acknowledging records it with the version, the time, the method "online" and the address
it came from. The client's communications record both the policy sent (once the server has
taken the e-mail) and the acknowledgement, so letters quote their dates."""

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from practice.audit.services import Actor, record
from practice.clients.identity import NOT_BOOKABLE
from practice.clients.models import Client
from practice.conduct import services as conduct_services
from practice.errors import DomainError
from practice.messages import links
from practice.messages import services as messages
from practice.messages.models import Message
from practice.messages.registry import MessageKind, register
from practice.policies.models import AcknowledgementRequest, PolicyAcknowledgement
from practice.policies.queries import local_date, policy_in_force

REQUEST = "policy.request"
SALT = "practice.acknowledge"
INVALID = "This link does not work. Please ask the practice to send a new one."
EXPIRED = "This link has expired. Please ask the practice to send a new one."
USED = "This link has been used already: the acknowledgement is recorded. Thank you."


def ask_to_acknowledge(session, actor: Actor, client: Client, *, valid_for: timedelta,
                       now: datetime) -> AcknowledgementRequest:
    """E-mail the client a link to read and acknowledge the policy in force."""
    if not client.email:
        raise DomainError(f"{client.display_name} has no e-mail address: add one first.")
    if not client.bookable or client.archived:
        raise DomainError(NOT_BOOKABLE)
    policy = policy_in_force(session, now)
    request = AcknowledgementRequest(
        client_id=client.id, policy_id=policy.id, email=client.email, nonce=secrets.token_urlsafe(24),
        requested_at=now, requested_by_id=actor.user.id if actor.user else None, expires_at=now + valid_for)
    session.add(request)
    session.flush()
    link = links.external("messages_public.acknowledge", token=links.sign(SALT, [request.id, request.nonce]))
    message = messages.queue_for_client(
        session, kind=REQUEST, client=client, subject="Please read our policy and acknowledge it",
        template="policy_request",
        context={"link": link, "version": policy.version, "expires_on": local_date(session, request.expires_at),
                 "policy_url": links.external("messages_public.policy")},
        actor=actor, now=now)
    request.message_id = message.id
    record(session, actor, "policy.ask_to_acknowledge", request, now=now, client_id=client.id,
           version=policy.version, email=client.email)
    session.flush()
    return request


def request_for(session, token: str, *, now: datetime) -> AcknowledgementRequest:
    """The request a link stands for, if it may still be used; else a refusal in plain words."""
    payload = links.unsign(SALT, token)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise DomainError(INVALID)
    request = session.get(AcknowledgementRequest, payload[0])
    if request is None or not hmac.compare_digest(request.nonce, payload[1]):
        raise DomainError(INVALID)
    if request.used_at is not None:
        raise DomainError(USED)
    if request.expires_at <= now:
        raise DomainError(EXPIRED)
    return request


def acknowledge(session, token: str, version: int | None, *, address: str, now: datetime) -> PolicyAcknowledgement:
    """The client acknowledges the version in force, which the page showed them (`version`:
    should a new one take effect in between, they are shown it first). Once only: the link
    is marked used in the same statement that checks it was not."""
    request = request_for(session, token, now=now)
    policy = policy_in_force(session, now)
    if version != policy.version:
        raise DomainError(f"The policy has changed to version {policy.version} since the page was opened. "
                          "Please read it, then acknowledge it.")
    marked = session.execute(
        update(AcknowledgementRequest).where(AcknowledgementRequest.id == request.id,
                                             AcknowledgementRequest.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if not marked:
        raise DomainError(USED)
    client = session.get(Client, request.client_id)
    acknowledgement = PolicyAcknowledgement(
        client_id=client.id, policy_id=policy.id, acknowledged_on=local_date(session, now), method="online",
        note=f"With the link e-mailed to {request.email} on {local_date(session, request.requested_at):%-d %B %Y}.",
        recorded_at=now, recorded_by_id=None, address=address[:64])
    session.add(acknowledgement)
    session.flush()
    session.execute(update(AcknowledgementRequest).where(AcknowledgementRequest.id == request.id)
                    .values(acknowledgement_id=acknowledgement.id))
    by_client = Actor(None, address)
    record(session, by_client, "policy.acknowledge", acknowledgement, now=now, client_id=client.id,
           version=policy.version, method="online")
    conduct_services.record_communication(
        session, by_client, client, occurred_at=now, channel="online", kind="policy_acknowledged",
        summary=f"Acknowledged version {policy.version} of the policy online, from {address or 'an unknown address'}.",
        now=now)
    return acknowledgement


def _sent(session, message: Message, sent_at: datetime) -> None:
    request = session.scalar(select(AcknowledgementRequest).where(AcknowledgementRequest.message_id == message.id))
    if request is None:
        return
    client = session.get(Client, request.client_id)
    conduct_services.record_communication(
        session, Actor(request.requested_by), client, occurred_at=sent_at, channel="email", kind="policy_reminder",
        summary=f"The policy (version {request.policy.version}) sent by e-mail to {message.to_address}, with a "
                f"link to acknowledge it; Message-ID {message.message_id}.",
        now=sent_at)


register(MessageKind(REQUEST, "Request to acknowledge the policy", sent=_sent))

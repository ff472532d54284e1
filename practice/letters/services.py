"""Every write about letters: the practice's texts (versioned), the paper size, and issuing
a letter with its consequences. Plain functions taking the session, the acting user and
`now`; no request inside.

Issuing renders the PDF first (nothing is written if that fails), then stores the frozen
letter and carries out the consequences confirmed on screen, all in the caller's unit of
work: a discontinuation cancels the client's future appointments without fees and sets the
standing to moved on; a referral records the referral with its follow-up; a practice-full
reply closes the inquiry as referred; a letter to a client records the communication
"letter sent"."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from practice.audit.services import Actor, record
from practice.clients import services as client_services
from practice.conduct import services as conduct_services
from practice.errors import DomainError
from practice.jobs.services import enqueue
from practice.letters import compose, delivery, signals, texts
from practice.letters.compose import Request
from practice.letters.models import (
    CHANNELS,
    KINDS,
    PAGE_SIZES,
    Letter,
    LetterReferral,
    LetterSettings,
    LetterTemplate,
)
from practice.letters.render import LetterPage, logo_uri, practice_lines, render_letter
from practice.scheduling import services as scheduling_services
from practice.settings.services import local_date
from referrals import services as referral_services

MAX_BODY = 20_000
# Facts the consequences need (a draft's other facts are only words the person may write).
BLOCKING = ("author_id", "specialist_id", "need", "effective_date")


# Texts and settings ---------------------------------------------------------------------

def current_template(session, kind: str) -> tuple[str, int | None]:
    """The practice's latest text for `kind` and its version (None: the default text)."""
    row = session.scalar(select(LetterTemplate).where(LetterTemplate.kind == kind)
                         .order_by(LetterTemplate.version.desc()).limit(1))
    return (row.text, row.version) if row else (texts.DEFAULTS[kind], None)


def save_template(session, actor: Actor, kind: str, text: str, *, now: datetime) -> LetterTemplate:
    """A new version of the practice's text for `kind` (placeholders checked first)."""
    if kind not in KINDS:
        raise DomainError("Choose one of the kinds of letter.", field="kind")
    text = texts.check_text(kind, text)
    latest = session.scalar(select(func.max(LetterTemplate.version)).where(LetterTemplate.kind == kind)) or 0
    row = LetterTemplate(kind=kind, version=latest + 1, text=text, created_at=now,
                         created_by_id=actor.user.id if actor.user else None)
    session.add(row)
    session.flush()
    record(session, actor, "letter.template", row, now=now, kind=kind, version=row.version)
    session.flush()
    return row


def page_size(session) -> str:
    return session.scalar(select(LetterSettings.page_size).limit(1)) or "A4"


def set_page_size(session, actor: Actor, size: str, *, now: datetime) -> None:
    if size not in PAGE_SIZES:
        raise DomainError("Choose A4 or US Letter.", field="page_size")
    settings = session.scalar(select(LetterSettings).limit(1))
    if settings is not None and settings.page_size == size:
        return  # saved with another setting: nothing to record
    if settings is None:
        settings = LetterSettings(page_size=size, updated_at=now)
        session.add(settings)
    old, settings.page_size = settings.page_size, size
    settings.updated_at, settings.updated_by_id = now, actor.user.id if actor.user else None
    session.flush()
    record(session, actor, "letter.settings", settings, now=now, page_size=[old, size])
    session.flush()


MAX_HOW_TO_PAY = 1000


def how_to_pay_text(session) -> str:
    return session.scalar(select(LetterSettings.how_to_pay).limit(1)) or ""


def set_how_to_pay(session, actor: Actor, text: str, *, now: datetime) -> None:
    """What a letter ending a relationship says about paying a balance that is owed."""
    text = " ".join((text or "").replace("\x00", "").split())
    if len(text) > MAX_HOW_TO_PAY:
        raise DomainError(f"Keep this under {MAX_HOW_TO_PAY:,} characters.", field="how_to_pay")
    settings = session.scalar(select(LetterSettings).limit(1))
    if settings is None:
        settings = LetterSettings(page_size="A4", updated_at=now)
        session.add(settings)
    old, settings.how_to_pay = settings.how_to_pay or "", text
    if old == text:
        return
    settings.updated_at, settings.updated_by_id = now, actor.user.id if actor.user else None
    session.flush()
    record(session, actor, "letter.settings", settings, now=now, how_to_pay=[old, text])
    session.flush()


# Composing --------------------------------------------------------------------------------

def check_request(request: Request, *, today: date) -> str:
    """The body to issue, once the request can be issued; else a DomainError on its field."""
    if request.kind not in KINDS:
        raise DomainError("Choose one of the kinds of letter.", field="kind")
    if (request.client is None) == (request.inquiry is None):
        raise DomainError("A letter is written to a client or in reply to an inquiry.")
    if request.kind == "practice_full" and request.inquiry is None:
        raise DomainError("A practice-full reply answers an inquiry.")
    if request.kind != "practice_full" and request.client is None:
        raise DomainError("This kind of letter is written to a client.")
    if request.channel not in CHANNELS:
        raise DomainError("Choose how the letter is sent.", field="channel")
    if request.channel == "email" and not delivery.address_for(request.client, request.inquiry):
        raise DomainError(f"There is no e-mail address for {request.recipient_name}: add one, or choose "
                          "post or in person.", field="channel")
    if request.effective_date and abs((request.effective_date - today).days) > 366:
        raise DomainError("Give a date within a year of today.", field="effective_date")
    if request.follow_up_on and request.follow_up_on < today:
        raise DomainError("The follow-up date cannot be in the past.", field="follow_up_on")
    if request.kind == "discontinuation" and len(set(request.colleague_ids or ())) > compose.MOST_COLLEAGUES:
        raise DomainError(f"Offer at most {compose.MOST_COLLEAGUES} colleagues: untick the others.")
    body = request.body.replace("\r\n", "\n").strip()
    if not body:
        raise DomainError("The letter is empty. Fill in the draft or write the letter.", field="body")
    if len(body) > MAX_BODY:
        raise DomainError(f"Keep the letter under {MAX_BODY:,} characters.", field="body")
    return body


def letter_page(session, request: Request, body: str, *, profile, now: datetime) -> LetterPage:
    """What the PDF shows: letterhead, recipient, date, body, signature."""
    recipient = [request.recipient_name]
    if request.client is not None:
        recipient = [request.client.legal_name or request.client.display_name]
        recipient += [line.strip() for line in request.client.address.splitlines() if line.strip()]
    elif request.inquiry is not None and request.inquiry.email:
        recipient.append(request.inquiry.email)
    author = request.author
    return LetterPage(
        kind=request.kind, title=f"{KINDS[request.kind]}: {request.recipient_name}",
        day=local_date(session, now), body=body, recipient_lines=recipient,
        author_name=author.display_name if author else "", author_credentials=author.credentials if author else "",
        page_size=page_size(session), practice_lines=practice_lines(profile), logo_uri=logo_uri(profile),
    )


def preview(session, request: Request, *, profile, now: datetime) -> bytes:
    """The PDF the letter would be if issued now (nothing is written)."""
    body = check_request(request, today=local_date(session, now))
    return render_letter(letter_page(session, request, body, profile=profile, now=now), profile)


# Issuing ------------------------------------------------------------------------------------

@dataclass
class Prepared:
    """A letter checked and rendered, ready to be issued: what `prepare` reads and lays out."""

    request: Request
    body: str
    consequences: compose.Plan
    page: LetterPage
    pdf: bytes


def prepare(session, request: Request, *, profile, now: datetime) -> Prepared:
    """Check the letter and render its PDF, writing nothing (a background job lays out many
    letters this way, showing its progress, before its first write)."""
    today = local_date(session, now)
    body = check_request(request, today=today)
    facts = compose.gather(session, request, profile=profile, now=now)
    for name in BLOCKING:
        if name in facts.missing:
            raise DomainError(facts.missing[name], field=name)
    if request.kind == "practice_full" and not request.inquiry.is_open:
        raise DomainError("This inquiry is already closed.")
    if request.kind == "referral" and request.specialist.retired:
        raise DomainError(f"{request.specialist.name} is retired from the directory.", field="specialist_id")
    consequences = compose.plan(session, request, profile=profile, now=now, facts=facts)
    page = letter_page(session, request, body, profile=profile, now=now)
    return Prepared(request, body, consequences, page, render_letter(page, profile))


def issue(session, actor: Actor, request: Request, *, profile, now: datetime,
          template_version: int | None = None, prepared: Prepared | None = None) -> Letter:
    """Freeze the letter and carry out its consequences (see the module's docstring), all in
    the caller's unit of work: the letter and everything it does are saved together or not
    at all. The letter row is complete when it is inserted (the database refuses any later
    change), so a referral it records is made first. `prepared`: this request as `prepare`
    left it a moment ago, in the same unit of work."""
    today = local_date(session, now)
    ready = prepared or prepare(session, request, profile=profile, now=now)
    body, consequences, page, pdf = ready.body, ready.consequences, ready.page, ready.pdf
    referral = _refer(session, actor, request, today=today, now=now) if consequences.refer else None
    offered = [_offer_colleague(session, actor, request, colleague, today=today, now=now)
               for colleague in consequences.refer_colleagues]
    letter = Letter(
        uuid=str(uuid.uuid4()), kind=request.kind,
        client_id=request.client.id if request.client else None,
        inquiry_id=request.inquiry.id if request.inquiry else None,
        referral_id=referral.id if referral else None,
        specialist_id=request.specialist.id if request.kind == "referral" else None,
        author_id=request.author.id, recipient=request.recipient_name[:200], title=page.title[:300],
        body=body, channel=request.channel, page_size=page.page_size, template_version=template_version,
        pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), issued_at=now,
        issued_by_id=actor.user.id if actor.user else None,
    )
    session.add(letter)
    session.flush()
    session.add_all(LetterReferral(letter_id=letter.id, referral_id=r.id) for r in offered)
    record(session, actor, "letter.issue", letter, now=now, kind=letter.kind, client_id=letter.client_id,
           inquiry_id=letter.inquiry_id, sha256=letter.sha256, channel=letter.channel,
           referral_ids=[r.id for r in offered])
    _carry_out(session, actor, letter, request, consequences, now=now)
    session.flush()
    signals.letter_issued.send(letter, kind=letter.kind, client_id=letter.client_id,
                               inquiry_id=letter.inquiry_id, referral_id=letter.referral_id)
    return letter


def _refer(session, actor: Actor, request: Request, *, today: date, now: datetime):
    return referral_services.record_referral(
        session, actor, client=request.client, specialist=request.specialist,
        modality_ids=[m.id for m in request.modalities], need=request.need or "", today=today, now=now,
        follow_up_on=request.follow_up_on or today + timedelta(days=compose.FOLLOW_UP_DAYS))


def _offer_colleague(session, actor: Actor, request: Request, colleague: compose.Colleague, *, today: date,
                     now: datetime):
    """A colleague a letter ending the relationship offers, recorded as a referral."""
    needs = compose.client_needs(session, request.client.id)
    return referral_services.record_referral(
        session, actor, client=request.client, specialist=colleague.specialist,
        modality_ids=[m.id for m in colleague.specialist.modalities if m.id in needs],
        need="Offered in the letter ending the professional relationship", today=today, now=now)


def _carry_out(session, actor: Actor, letter: Letter, request: Request, consequences: compose.Plan, *,
               now: datetime) -> None:
    label = KINDS[letter.kind].lower()
    for appointment in consequences.cancel:
        scheduling_services.cancel(session, actor, appointment, f"Cancelled by the practice: {label}.",
                                   now=now, by_practice=True)
    if consequences.move_on:
        client_services.set_standing(session, actor, request.client, "moved_on",
                                     f"Letter issued: {label} (letter {letter.uuid[:8]}).", now=now)
    for appointment in consequences.waive:
        scheduling_services.waive_fee(session, actor, appointment, f"Waived in the letter: {label} "
                                      f"(letter {letter.uuid[:8]}).", now=now)
    if consequences.offer is not None:
        referral_services.offer_in_reply(session, actor, request.inquiry, now=now,
                                         note=f"Offered {consequences.offer.display_name} in the reply "
                                              f"(letter {letter.uuid[:8]}).")
    if consequences.close_inquiry:
        referral_services.close_inquiry(session, actor, request.inquiry, now=now, outcome="referred",
                                        note=f"Practice-full reply sent (letter {letter.uuid[:8]}).")
    if consequences.communication and letter.channel != "email":  # e-mail: once it is sent (delivery)
        conduct_services.record_communication(
            session, actor, request.client, occurred_at=now, channel=request.channel, kind="letter_sent",
            summary=f"{KINDS[letter.kind]} ({CHANNELS[letter.channel].lower()}), SHA-256 {letter.sha256[:16]}…",
            now=now)


# Practice-full replies in a batch -------------------------------------------------------------

QUICK_BATCH = 20  # issued while the page waits; a larger batch is issued by a background job
BATCH_JOB = "letters.practice_full_batch"


def draft_replies(session, inquiries, *, author, channel: str, profile,
                  now: datetime) -> list[tuple[Request, compose.Plan]]:
    """A practice-full reply drafted from each inquiry, with what issuing it will do; a
    refusal names the inquiry whose draft lacks a fact."""
    if not inquiries:
        raise DomainError("Choose at least one inquiry.", field="inquiry_ids")
    text, _version = current_template(session, "practice_full")
    drafts = []
    for inquiry in inquiries:
        letter_request = Request(kind="practice_full", inquiry=inquiry, author=author, channel=channel or "")
        facts = compose.gather(session, letter_request, profile=profile, now=now)
        if facts.missing:
            field = "author_id" if "author_id" in facts.missing else "inquiry_ids"
            raise DomainError(f"{inquiry.name}: {next(iter(facts.missing.values()))}", field=field)
        letter_request.body = compose.draft(text, facts)
        drafts.append((letter_request, compose.plan(session, letter_request, profile=profile, now=now, facts=facts)))
    return drafts


def issue_replies(session, actor: Actor, requests: list[Request], *, profile, now: datetime,
                  progress=None) -> list[Letter]:
    """Issue the drafted replies, all or none: each is checked and laid out first (reporting
    `progress(done, total, message)` if given), then all are issued."""
    progress = progress or (lambda done, total, message: None)
    total = len(requests) + 1
    ready = []
    for done, letter_request in enumerate(requests):
        progress(done, total, f"Laying out the reply to {letter_request.inquiry.name}")
        ready.append(prepare(session, letter_request, profile=profile, now=now))
    progress(total - 1, total, f"Issuing {len(requests)} replies")
    version = current_template(session, "practice_full")[1]
    return [issue(session, actor, item.request, profile=profile, now=now, template_version=version, prepared=item)
            for item in ready]


def queue_replies(session, actor: Actor, inquiries, *, author, channel: str, now: datetime):
    """A batch too large to issue while the page waits, queued as a background job (in the
    caller's unit of work) that drafts and issues the same replies: practice/letters/jobs.py."""
    count = len(inquiries)
    return enqueue(session, BATCH_JOB, {"inquiry_ids": [i.id for i in inquiries],
                                        "author_id": author.id if author else None, "channel": channel},
                   now=now, requested_by=actor.user, title=f"{count} practice-full replies")

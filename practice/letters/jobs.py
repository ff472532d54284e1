"""The letters' background job: a batch of practice-full replies larger than a page may wait
for (services.QUICK_BATCH). The worker drafts each reply from its inquiry as the batch page
previewed it, lays each out (showing how far it has got), then issues them all in its one
unit of work: all or none. When it is done, its page gives way to the batch's result page:
each letter, what it did, and the zip of them."""

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.audit.services import Actor
from practice.auth.models import Practitioner
from practice.jobs.registry import JobContext, JobFailed, JobKind, register
from practice.letters import services
from practice.settings.services import get_practice
from referrals.models import OPEN_INQUIRY_STATUSES, Inquiry


def issue_batch(ctx: JobContext) -> None:
    ids = ctx.payload["inquiry_ids"]
    found = {i.id: i for i in ctx.session.scalars(
        select(Inquiry).options(selectinload(Inquiry.needs))
        .where(Inquiry.id.in_(ids), Inquiry.status.in_(OPEN_INQUIRY_STATUSES)))}
    closed = [i for i in ids if i not in found]
    if closed:
        raise JobFailed(f"{len(closed)} of the inquiries chosen {'is' if len(closed) == 1 else 'are'} closed now: "
                        "nothing was issued; choose the inquiries again.")
    author = ctx.session.get(Practitioner, ctx.payload["author_id"]) if ctx.payload.get("author_id") else None
    profile = get_practice(ctx.session)
    ctx.progress(0, len(ids) + 1, "Drafting the replies")
    drafts = services.draft_replies(ctx.session, [found[i] for i in ids], author=author,
                                    channel=ctx.payload.get("channel", ""), profile=profile, now=ctx.now)
    letters = services.issue_replies(ctx.session, Actor(ctx.job.requested_by), [r for r, _plan in drafts],
                                     profile=profile, now=ctx.now, progress=ctx.progress)
    ctx.job.payload = {**ctx.payload, "letter_ids": [letter.id for letter in letters]}


BATCH = register(JobKind(
    services.BATCH_JOB, "Practice-full replies", issue_batch, max_attempts=3,
    access=lambda payload: ("letters.issue", None),
    back=lambda payload: ("Practice-full replies", url_for("letters.batch")),
    result=lambda payload: (url_for("letters.batch_done", letter=payload["letter_ids"])
                            if payload.get("letter_ids") else None),
))

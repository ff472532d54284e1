"""iCalendar out: the practitioner's subscription feed (no sign-in: the URL's token is the
secret), turning it on / replacing / revoking it, and one appointment as a file for the client."""

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, redirect, request, url_for

from practice.auth.models import Practitioner
from practice.auth.permissions import permission_required, require
from practice.db import db
from practice.errors import DomainError
from practice.scheduling import feeds
from practice.web import acting, flash_refusal, now

bp = Blueprint("feeds", __name__)

CALENDAR = "text/calendar"


@bp.get("/feeds/<token>.ics")
def feed(token: str):
    head = feeds.feed_head(db.session, token, now=now())
    if head is None:
        abort(404)
    # Calendar programs ask "changed?" by ETag: answered from one query of aggregates,
    # before the events are read or the calendar built.
    etag = feeds.feed_etag(db.session, head)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(feeds.render_feed(feeds.feed_source(db.session, head)), mimetype=CALENDAR)
        response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response.set_etag(etag)
    # Private: no shared cache keeps it.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/appointments/<uuid>.ics")
@permission_required("appointments.view")
def appointment_file(uuid: str):
    file = feeds.appointment_file(db.session, uuid)
    if file is None:
        abort(404)
    return Response(file.content, mimetype=CALENDAR, headers={
        "Content-Disposition": f'attachment; filename="{file.filename}"',
        "Cache-Control": "private, no-store",
    })


def _back():
    """Where the form was (a page of this site), else the start page."""
    referrer = request.referrer
    if referrer:
        parts = urlsplit(referrer)
        if parts.scheme in ("http", "https") and parts.netloc == request.host:
            return redirect(referrer)
    return redirect(url_for("main.index"))


def _practitioner(practitioner_id: int) -> Practitioner:
    practitioner = db.get_or_404(Practitioner, practitioner_id)
    require("feeds.manage", practitioner)  # a practitioner manages only their own feed
    return practitioner


@bp.post("/feeds/enable/<int:practitioner_id>")
@permission_required("feeds.manage")
def enable(practitioner_id: int):
    practitioner = _practitioner(practitioner_id)
    try:
        token = feeds.enable_feed(db.session, acting(), practitioner.id, now=now())
    except DomainError as error:
        flash_refusal(error)
    else:
        url = url_for("feeds.feed", token=token, _external=True)
        flash(f"Calendar feed for {practitioner.display_name}: {url} - subscribe to it in your "
              "calendar program. Anyone with this address can see the appointments in it; "
              "any earlier address has stopped working.", "success")
    return _back()


@bp.post("/feeds/revoke/<int:practitioner_id>")
@permission_required("feeds.manage")
def revoke(practitioner_id: int):
    practitioner = _practitioner(practitioner_id)
    old = feeds.revoke_feed(db.session, acting(), practitioner.id, now=now())
    if old is None:
        flash(f"{practitioner.display_name} has no calendar feed.", "info")
    else:
        url = url_for("feeds.feed", token=old, _external=True)
        flash(f"The calendar feed for {practitioner.display_name} is revoked: {url} no longer works.",
              "success")
    return _back()

"""Letter pages: the composer (draft, preview, issue), an issued letter and its frozen PDF,
the register, practice-full replies in a batch, and the letter settings. Thin: the rules
are in services and compose."""

import io
import zipfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.auth.permissions import permission_required, readable_clients, require
from practice.clients import services as client_services
from practice.clients.models import Client
from practice.db import db
from practice.errors import DomainError
from practice.forms import options
from practice.letters import compose, delivery, queries, rows_html, services
from practice.letters.forms import (
    BatchForm,
    ComposeForm,
    RegisterFilterForm,
    SettingsForm,
    TemplateForm,
)
from practice.letters.models import KINDS, PAGE_SIZES, Letter
from practice.letters.render import letter_css, letter_html
from practice.letters.texts import DEFAULTS, PLACEHOLDERS, REQUIRED, TONE_GUIDES
from practice.security import csp_nonce
from practice.settings.services import get_practice, local_date, practice_zone
from practice.validation import database_id
from practice.web import acting, back_to, now, page_number, show_error
from referrals.models import OPEN_INQUIRY_STATUSES, Inquiry, Modality, Referral, Specialist
from referrals.queries import specialist_choices

bp = Blueprint("letters", __name__)

# Composer fields that ask for each kind's facts.
FACT_FIELDS = {
    "referral": ("specialist_id", "modality_ids", "need", "follow_up_on"),
    "discontinuation": ("effective_date", "policy_dates", "breaches"),
    "safety_discontinuation": ("effective_date",),
    "practice_full": ("colleagues",),
    "custom": (),
}


def _arg_id(name: str) -> int | None:
    return database_id(request.args.get(name))


def _subject(kind: str) -> tuple[Client | None, Inquiry | None]:
    client_id, inquiry_id = _arg_id("client_id"), _arg_id("inquiry_id")
    if kind == "practice_full":
        inquiry = db.session.scalar(select(Inquiry).options(selectinload(Inquiry.needs))
                                    .where(Inquiry.id == inquiry_id)) if inquiry_id else None
        return None, inquiry or abort(404)
    client = db.session.get(Client, client_id) if client_id else None
    return client or abort(404), None


def _choices(form: ComposeForm) -> None:
    form.author_id.choices = options([(0, "Choose…")] + [(p.id, p.display_name) for p in queries.signers()])
    form.specialist_id.choices = options([(0, "Choose…")] + [
        (s.id, s.name + (f" ({s.profession})" if s.profession else "")) for s in specialist_choices(db.session)])
    form.modality_ids.choices = options((m.id, m.name) for m in db.session.scalars(
        select(Modality).where(Modality.retired.is_(False)).order_by(Modality.name)))


def _defaults(form: ComposeForm, client: Client | None, inquiry: Inquiry | None) -> None:
    own = current_user.practitioner
    form.author_id.data = (own.id if own else None) or (client.primary_practitioner_id if client else None) \
        or (inquiry.practitioner_id if inquiry else None) or 0
    email = inquiry.email if inquiry is not None else client.email if client is not None else ""
    form.channel.data = "email" if email else "post"
    # From the referral network's match page: the colleague chosen and the need searched for.
    form.specialist_id.data = _arg_id("specialist_id") or 0
    form.modality_ids.data = [i for i in map(database_id, request.args.getlist("modality_ids")) if i]


def _posted_ids(name: str) -> list[int]:
    return [i for i in map(database_id, request.form.getlist(name)[:200]) if i]


def _request(form: ComposeForm, kind: str, client, inquiry) -> compose.Request:
    from practice.auth.models import Practitioner

    modality_ids = [i for i in (form.modality_ids.data or []) if i]
    # The tick boxes are read once the composer has shown them (an empty list is a choice).
    chosen = request.method == "POST" and request.form.get("choices") == "shown"
    return compose.Request(
        kind=kind, client=client, inquiry=inquiry,
        author=db.session.get(Practitioner, form.author_id.data) if form.author_id.data else None,
        channel=form.channel.data or "", body=form.body.data or "",
        specialist=db.session.get(Specialist, form.specialist_id.data) if form.specialist_id.data else None,
        modalities=list(db.session.scalars(select(Modality).where(Modality.id.in_(modality_ids)))) if modality_ids else [],
        need=form.need.data or "", follow_up_on=form.follow_up_on.data, effective_date=form.effective_date.data,
        policy_dates=form.policy_dates.data or "", breaches=form.breaches.data or "",
        colleagues=form.colleagues.data or "",
        fact_keys=request.form.getlist("fact")[:2000] if chosen else None,
        sentences={entry_id: request.form.get(f"sentence-{entry_id}", "")[:500]
                   for entry_id in _posted_ids("incident")},
        clause_keys=request.form.getlist("clause")[:200] if chosen else None,
        colleague_ids=_posted_ids("colleague") if chosen else None,
        money=form.money.data or "", offer_id=form.offer_id.data if chosen else None,
    )


@bp.route("/letters/new", methods=["GET", "POST"])
@permission_required("letters.issue")
def compose_letter():
    kind = request.args.get("kind", "")
    if kind not in KINDS:
        abort(404)
    client, inquiry = _subject(kind)
    if client is not None:  # writing into a record needs the right to read it
        require("letters.issue", client)
    form = ComposeForm()
    _choices(form)
    if request.method == "GET":
        _defaults(form, client, inquiry)
    action = request.form.get("action", "draft") if request.method == "POST" else "draft"
    profile = get_practice(db.session)
    letter_request = _request(form, kind, client, inquiry)
    facts = compose.gather(db.session, letter_request, profile=profile, now=now())
    text, version = services.current_template(db.session, kind)
    for name, message in facts.missing.items():  # asked for, never invented
        getattr(form, name).description = message
    form.offer_id.choices = options([(0, "No one: say who is full")] + [
        (p.id, p.display_name) for p in facts.choices.with_room])
    form.offer_id.data = facts.choices.offer.id if facts.choices.offer else 0
    form.money.data = facts.choices.money
    preview, status = None, 200
    if request.method == "POST" and not form.validate():
        action, status = "", 422
    if action == "draft" and not facts.missing:
        form.body.data = letter_request.body = compose.draft(text, facts)
    elif action == "draft" and request.method == "POST":
        form.form_errors.append("The draft needs the facts asked for below.")
        status = 422
    if action in ("preview", "issue"):
        try:
            body = services.check_request(letter_request, today=local_date(db.session, now()))
            if action == "issue":
                return _issue(form, letter_request, profile, version)
            page = services.letter_page(db.session, letter_request, body, profile=profile, now=now())
            # The preview frame inherits the page's policy: its style carries the nonce.
            preview = letter_html(page, profile).replace(
                "</head>", f'<style nonce="{csp_nonce()}">{_screen_css(page.page_size)}</style></head>')
        except DomainError as error:
            show_error(form, error)
            status = 422
    plan = compose.plan(db.session, letter_request, profile=profile, now=now(), facts=facts)
    return render_template(
        "practice/letters/compose.html", form=form, kind=kind, kind_label=KINDS[kind], client=client,
        inquiry=inquiry, facts=facts, choices=facts.choices, fact_fields=FACT_FIELDS[kind], plan=plan,
        preview=preview, version=version, placeholders=PLACEHOLDERS[kind], tone_guide=TONE_GUIDES[kind],
        text_lacks=compose.missing_from_text(kind, text), money_choices=compose.MONEY,
    ), status


def _screen_css(page_size: str) -> str:
    """The letter's own print stylesheet, and a sheet of paper around it on screen."""
    width = "215.9mm" if page_size == "letter" else "210mm"
    return letter_css(page_size) + (
        f"body {{ width: {width}; box-sizing: border-box; padding: 20mm 22mm; margin: 0 auto; "
        "background: #fff; }} html {{ background: #fff; }}")


def _issue(form: ComposeForm, letter_request: compose.Request, profile, version):
    if not form.confirm.data:
        raise DomainError("Tick the box to confirm what issuing will do.", field="confirm")
    letter = services.issue(db.session, acting(), letter_request, profile=profile, now=now(),
                            template_version=version)
    flash("The letter is issued. Its PDF is kept exactly as it is now.", "success")
    return redirect(back_to() or url_for("letters.show", letter_id=letter.id))


def _letter_or_404(letter_id: int, viewing: str) -> Letter:
    """The letter, for its client's care team (a reply to an inquiry: any practitioner);
    opening a letter to a client is recorded on the client's record."""
    letter = db.session.get(Letter, letter_id) or abort(404)
    require("letters.view", letter)
    if letter.client is not None:
        client_services.record_view(db.session, acting(), letter.client, viewing, now=now(), letter_id=letter.id)
    return letter


@bp.get("/letters/<int:letter_id>")
@permission_required("letters.view")
def show(letter_id: int):
    letter = _letter_or_404(letter_id, "letter")
    referral = db.session.get(Referral, letter.referral_id) if letter.referral_id else None
    inquiry = db.session.get(Inquiry, letter.inquiry_id) if letter.inquiry_id else None
    specialist = db.session.get(Specialist, letter.specialist_id) if letter.specialist_id else None
    return render_template("practice/letters/show.html", letter=letter, referral=referral, inquiry=inquiry,
                           specialist=specialist, delivery=delivery.delivery_of(db.session, letter.id))


@bp.get("/letters/<int:letter_id>.pdf")
@permission_required("letters.view")
def download(letter_id: int):
    letter = _letter_or_404(letter_id, "letter PDF")
    response = Response(letter.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{letter.filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["ETag"] = f'"{letter.sha256}"'
    return response


@bp.get("/letters")
@permission_required("letters.view")
def register():
    form = RegisterFilterForm(request.args)
    form.author.choices = options([(0, "Anyone")] + [(p.id, p.display_name) for p in queries.signers()])
    form.validate()
    filters = queries.RegisterFilters(
        kind=form.kind.data or "", author_id=form.author.data or 0,
        start=form.start.data if not form.start.errors else None,
        end=form.end.data if not form.end.errors else None)
    zone = practice_zone(db.session)
    page = queries.register(filters, zone=zone, readable=readable_clients(current_user, Letter.client_id),
                            page=page_number(), per_page=current_app.config["PRACTICE_PAGE_SIZE"])
    rows = rows_html.register_rows(page.items, zone=zone, letter_url=url_for("letters.show", letter_id=0)[:-1],
                                   client_url=url_for("clients.show", client_id=0)[:-1])
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("practice/letters/register.html", page=page, rows=rows, form=form, args=args)


# Practice-full replies in a batch ------------------------------------------------------------

MOST_IN_A_BATCH = 200  # each is drafted and previewed while the page waits


@bp.route("/letters/batch", methods=["GET", "POST"])
@permission_required("letters.issue")
def batch():
    """One practice-full reply per chosen inquiry: each drafted from its inquiry and previewed
    with what issuing it will do, then, once confirmed, issued and frozen (all or none), and a
    page with the issued letters and what each did. Up to services.QUICK_BATCH replies are
    issued while the page waits; a larger batch by a background job, whose page shows how far
    it has got and then the same result page."""
    inquiries = list(db.session.scalars(
        select(Inquiry).options(selectinload(Inquiry.needs)).where(Inquiry.status.in_(OPEN_INQUIRY_STATUSES))
        .order_by(Inquiry.received_at, Inquiry.id)))
    form = BatchForm()
    form.author_id.choices = options([(0, "Choose…")] + [(p.id, p.display_name) for p in queries.signers()])
    form.inquiry_ids.choices = options((i.id, i.name) for i in inquiries)
    if request.method == "GET":
        form.author_id.data = current_user.practitioner.id if current_user.practitioner else 0
    status, drafts = 200, []
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                chosen = _chosen(form, {i.id: i for i in inquiries})
                drafts = services.draft_replies(db.session, chosen, author=_author(form), channel=form.channel.data or "",
                                                profile=get_practice(db.session), now=now())
                if request.form.get("action") == "issue":
                    return _issue_batch(form, chosen, drafts)
                status = 200
            except DomainError as error:
                show_error(form, error)
    return render_template("practice/letters/batch.html", form=form, inquiries=inquiries, drafts=drafts,
                           quick=services.QUICK_BATCH), status


def _chosen(form: BatchForm, open_inquiries: dict[int, Inquiry]) -> list[Inquiry]:
    chosen = [open_inquiries[i] for i in dict.fromkeys(form.inquiry_ids.data or []) if i in open_inquiries]
    if len(chosen) > MOST_IN_A_BATCH:
        raise DomainError(f"Choose at most {MOST_IN_A_BATCH} inquiries at a time.", field="inquiry_ids")
    return chosen


def _author(form: BatchForm):
    from practice.auth.models import Practitioner

    return db.session.get(Practitioner, form.author_id.data) if form.author_id.data else None


def _issue_batch(form: BatchForm, chosen: list[Inquiry], drafts):
    if not form.confirm.data:
        raise DomainError("Tick the box to confirm what issuing will do.", field="confirm")
    if len(drafts) > services.QUICK_BATCH:
        job = services.queue_replies(db.session, acting(), chosen, author=_author(form),
                                     channel=form.channel.data or "", now=now())
        flash(f"The {len(drafts)} replies are being issued in the background. This page shows how far it has "
              "got, then the replies and what each did.", "info")
        return redirect(url_for("jobs.show", job_id=job.id))
    letters = services.issue_replies(db.session, acting(), [r for r, _plan in drafts],
                                     profile=get_practice(db.session), now=now())
    flash(f"{len(letters)} repl{'y is' if len(letters) == 1 else 'ies are'} issued.", "success")
    return redirect(url_for("letters.batch_done", letter=[letter.id for letter in letters]))


def _batch_letters() -> list[Letter]:
    ids = [i for i in map(database_id, request.args.getlist("letter")[:500]) if i]
    letters = list(db.session.scalars(select(Letter).where(Letter.id.in_(ids), Letter.kind == "practice_full")
                                      .order_by(Letter.id))) if ids else []
    for letter in letters:
        require("letters.view", letter)
    return letters


@bp.get("/letters/batch/done")
@permission_required("letters.issue")
def batch_done():
    """The replies issued together, and what each did (the inquiry's state and note)."""
    letters = _batch_letters()
    found = {i.id: i for i in db.session.scalars(select(Inquiry).where(
        Inquiry.id.in_([letter.inquiry_id for letter in letters])))} if letters else {}
    return render_template("practice/letters/batch_done.html", letters=letters, inquiries=found,
                           ids=[letter.id for letter in letters])


@bp.get("/letters/batch/replies.zip")
@permission_required("letters.issue")
def batch_zip():
    """The replies issued together as a zip of their stored PDFs (each file byte-identical
    to its letter, so its SHA-256 can be checked; one merged PDF would be bytes no letter has)."""
    letters = _batch_letters() or abort(404)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for letter in letters:
            bundle.writestr(f"{letter.inquiry_id or 0:05d}-{letter.filename}", letter.pdf)
    response = Response(archive.getvalue(), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="practice-full-replies-{now():%Y-%m-%d}.zip"'
    return response


# Settings: paper size and the texts ----------------------------------------------------------

@bp.route("/settings/letters", methods=["GET", "POST"])
@permission_required("letters.settings")
def settings():
    form = SettingsForm()
    if request.method == "GET":
        form.page_size.data = services.page_size(db.session)
        form.how_to_pay.data = services.how_to_pay_text(db.session)
    elif form.validate():
        try:
            services.set_page_size(db.session, acting(), form.page_size.data, now=now())
            services.set_how_to_pay(db.session, acting(), form.how_to_pay.data or "", now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Saved: letters are printed on {PAGE_SIZES[form.page_size.data]} paper.", "success")
            return redirect(url_for("letters.settings"))
    return _settings_page(form, status=200 if request.method == "GET" else 422)


def _settings_page(form, *, text_forms=None, status=200):
    saved = queries.template_versions()
    text_forms = text_forms or {}
    for kind in KINDS:
        if kind not in text_forms:
            text_forms[kind] = TemplateForm(prefix=kind, formdata=None)
            text_forms[kind].text.data = saved[kind].text if kind in saved else services.current_template(db.session, kind)[0]
    return render_template("practice/letters/settings.html", form=form, text_forms=text_forms, saved=saved,
                           kinds=KINDS, placeholders=PLACEHOLDERS, required=REQUIRED, defaults=DEFAULTS), status


@bp.post("/settings/letters/<kind>")
@permission_required("letters.settings")
def save_text(kind: str):
    if kind not in KINDS:
        abort(404)
    text_form = TemplateForm(prefix=kind)
    if text_form.validate():
        try:
            row = services.save_template(db.session, acting(), kind, text_form.text.data or "", now=now())
        except DomainError as error:
            show_error(text_form, error)
        else:
            flash(f"{KINDS[kind]}: version {row.version} of the text is saved.", "success")
            return redirect(url_for("letters.settings", _anchor=f"text-{kind}"))
    form = SettingsForm(formdata=None, page_size=services.page_size(db.session))
    return _settings_page(form, text_forms={kind: text_form}, status=422)


"""The practice's policy set, versioned, and clients' acknowledgements of it."""

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import permission_required
from practice.clients.models import Client
from practice.db import db
from practice.errors import DomainError
from practice.policies import online, queries, services
from practice.policies.clauses import by_topic
from practice.policies.forms import (
    BLANK_CLAUSES,
    THRESHOLDS,
    AcknowledgementForm,
    PolicyForm,
    TopicsForm,
)
from practice.policies.models import TOPICS, Policy
from practice.web import acting, flash_refusal, now, show_error

bp = Blueprint("policies", __name__)


@bp.app_template_global()
def policy_acknowledgement_form(policy_id: int) -> AcknowledgementForm:
    """A blank acknowledgement form for the client page's policy panel (dated today)."""
    form = AcknowledgementForm(formdata=None, policy_id=policy_id)
    form.on.data = queries.local_date(db.session, now())
    return form


@bp.get("/policy")
@permission_required("practice.view")
def show():
    """The policy in force, in plain words, and the next version if one is coming."""
    current, latest = queries.current_policy(db.session, now()), queries.latest_policy(db.session)
    return render_template("practice/policies/show.html", policy=current, topics=by_topic(current),
                           upcoming=latest if latest.version > current.version else None)


def posted_clauses() -> list[tuple[str, str]]:
    """The written clauses of the form, in order: (topic, text) pairs, empty ones included
    (the service leaves them out; the page shows them again as typed)."""
    topics, texts = request.form.getlist("clause_topic"), request.form.getlist("clause_text")
    return [(topic, text) for topic, text in zip(topics, texts, strict=False)][:200]


@bp.route("/settings/policy", methods=["GET", "POST"])
@permission_required("policies.manage")
def manage():
    latest = queries.latest_policy(db.session)
    form = PolicyForm(obj=latest)
    typed = posted_clauses() if form.is_submitted() else [(c.topic, c.text) for c in latest.clauses]
    if form.is_submitted() and form.validate():
        values = {name: getattr(form, name).data for name in services.FIELDS}
        try:
            policy = services.publish_policy(db.session, acting(), values, form.effective_from.data, now=now(),
                                             clauses=typed)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Version {policy.version} is published; it is in force from "
                  f"{policy.effective_from:%-d %B %Y}.", "success")
            return redirect(url_for("policies.manage"))
    elif not form.is_submitted():
        form.effective_from.data = queries.local_date(db.session, now())
    return _manage_page(form, typed, status=422 if form.is_submitted() else 200)


def _manage_page(form, typed, *, topics_form=None, status=200):
    current = queries.current_policy(db.session, now())
    return render_template(
        "practice/policies/manage.html", form=form, thresholds=THRESHOLDS, current=current,
        history=queries.policy_history(db.session), topics=TOPICS, by_topic=by_topic(current),
        clause_rows=[*typed, *[("other", "")] * BLANK_CLAUSES], topics_form=topics_form or TopicsForm(),
    ), status


@bp.post("/settings/policy/<int:policy_id>/topics")
@permission_required("policies.manage")
def file_topics(policy_id: int):
    """File the clauses of a version under topics (their words stay as published)."""
    policy = db.get_or_404(Policy, policy_id)
    form = TopicsForm()
    if form.validate():
        chosen = {clause.id: request.form.get(f"topic-{clause.id}", clause.topic) for clause in policy.clauses}
        try:
            changed = services.set_topics(db.session, acting(), policy, chosen, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"Version {policy.version}: {changed} clause{'' if changed == 1 else 's'} filed under a new topic.",
                  "success")
            return redirect(url_for("policies.manage"))
    latest = queries.latest_policy(db.session)
    blank = PolicyForm(formdata=None, obj=latest)
    blank.effective_from.data = queries.local_date(db.session, now())
    return _manage_page(blank, [(c.topic, c.text) for c in latest.clauses], topics_form=form, status=422)


def _id(text: str | None) -> int:
    """A posted id, or 0 (which matches nothing) when it is not one the database could hold."""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return 0
    return int(text) if int(text) < 2**31 else 0


@bp.route("/clients/<int:client_id>/acknowledgements", methods=["GET", "POST"])
@permission_required("policies.acknowledge")
def acknowledge(client_id: int):
    """Recording an acknowledgement on a page of its own: the client page writes the form
    only while the policy in force is not acknowledged, and links here once it is (a second
    acknowledgement of the same version is seldom recorded)."""
    client = db.get_or_404(Client, client_id)
    if request.method == "GET":
        client_policy = queries.client_policy(db.session, client.id, now())
        return render_template("practice/policies/acknowledge.html", client=client, client_policy=client_policy,
                               ack_form=policy_acknowledgement_form(client_policy.policy.id), confirm=ConfirmForm())
    form = AcknowledgementForm()
    if form.validate():
        try:
            services.record_acknowledgement(db.session, acting(), client.id, _id(form.policy_id.data),
                                            form.method.data, form.on.data, form.note.data or "", now=now())
        except DomainError as error:
            error.field = None if error.field in ("policy_id", "client_id") else error.field
            show_error(form, error)
        else:
            flash(f"{client.display_name}'s acknowledgement of the policy is recorded.", "success")
            return redirect(url_for("clients.show", client_id=client.id))
    client_policy = queries.client_policy(db.session, client.id, now())
    form.policy_id.data = str(client_policy.policy.id)  # the version the page offers
    return render_template("practice/policies/acknowledge.html", client=client, ack_form=form,
                           client_policy=client_policy, confirm=ConfirmForm()), 422


@bp.post("/clients/<int:client_id>/acknowledgements/ask")
@permission_required("policies.acknowledge")
def ask_to_acknowledge(client_id: int):
    """E-mail the client a link to read and acknowledge the policy in force."""
    client = db.get_or_404(Client, client_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "warning")
        return redirect(url_for("clients.show", client_id=client.id))
    days = int(current_app.config["PRACTICE_ACKNOWLEDGE_LINK_DAYS"])
    try:
        asked = online.ask_to_acknowledge(db.session, acting(), client, valid_for=timedelta(days=days), now=now())
    except DomainError as error:
        flash_refusal(error)
    else:
        flash(f"A link to acknowledge the policy is on its way to {asked.email} (it works once, for {days} days).",
              "success")
    return redirect(url_for("clients.show", client_id=client.id))

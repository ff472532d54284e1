"""Pages for clients, reached from the links in messages, with no sign-in: the policy in force,
acknowledging it with the signed link the practice sent, and stopping reminders. They show the
practice's policy and the client's first name, nothing else from the record."""

from flask import Blueprint, render_template, request

from practice.db import db
from practice.errors import DomainError
from practice.extensions import csrf
from practice.messages import services
from practice.messages.forms import AcknowledgeForm
from practice.policies import online
from practice.policies.clauses import by_topic
from practice.policies.queries import current_policy
from practice.web import now, show_error

bp = Blueprint("messages_public", __name__)


@bp.get("/practice-policy")
def policy():
    policy = current_policy(db.session, now())
    return render_template("practice/messages/public/policy.html", policy=policy, topics=by_topic(policy))


@bp.route("/acknowledge/<token>", methods=["GET", "POST"])
def acknowledge(token: str):
    try:
        online.request_for(db.session, token, now=now())
    except DomainError as error:
        return render_template("practice/messages/public/link.html", message=error.message), 404
    policy = current_policy(db.session, now())
    form = AcknowledgeForm(version=str(policy.version))
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            acknowledgement = online.acknowledge(db.session, token, version, address=request.remote_addr or "",
                                                 now=now())
        except DomainError as error:
            show_error(form, error)
            form.version.data = str(policy.version)
        else:
            return render_template("practice/messages/public/acknowledged.html", acknowledgement=acknowledgement)
    return render_template("practice/messages/public/acknowledge.html", form=form, policy=policy,
                           topics=by_topic(policy)), (
        422 if form.errors or form.form_errors else 200)


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    client = services.client_for_unsubscribe(db.session, token)
    if client is None:
        return render_template("practice/messages/public/link.html",
                               message="This link does not work. Please ask the practice."), 404
    return render_template("practice/messages/public/unsubscribe.html", token=token,
                           first_name=services.first_name(client.display_name))


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: mail programs post "List-Unsubscribe=One-Click" here; the token is the key
def stop_reminders(token: str):
    client = services.client_for_unsubscribe(db.session, token)
    if client is None:
        return render_template("practice/messages/public/link.html",
                               message="This link does not work. Please ask the practice."), 404
    services.stop_reminders(db.session, client, address=request.remote_addr or "", now=now())
    return render_template("practice/messages/public/unsubscribed.html",
                           first_name=services.first_name(client.display_name))

"""The outbox for admins (messages by status, each with the server's answer; cancel, send
again), the message settings with the mail configuration and a test message, and a client's
consent to e-mail. Thin: the rules are in services."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from practice.auth.forms import ConfirmForm
from practice.auth.permissions import permission_required
from practice.clients.models import Client
from practice.db import db
from practice.errors import DomainError
from practice.messages import links, queries, services
from practice.messages.forms import ConsentForm, MessageSettingsForm, TestMessageForm
from practice.messages.models import STATUSES, Message
from practice.messages.registry import kind_named
from practice.web import acting, flash_refusal, local_target, now, page_number, show_error

bp = Blueprint("messages", __name__)


@bp.get("/messages/")
@permission_required("messages.manage")
def index():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = queries.outbox_page(page_number(), current_app.config["PRACTICE_PAGE_SIZE"], status)
    return render_template("practice/messages/index.html", page=page, status=status, statuses=STATUSES,
                           counts=queries.status_counts(), confirm=ConfirmForm(),
                           mail=services.mail(db.session))


@bp.get("/messages/<int:message_id>")
@permission_required("messages.manage")
def show(message_id: int):
    found = queries.message_for_page(message_id) or abort(404)
    message, job = found
    mail = services.mail(db.session)
    return render_template("practice/messages/show.html", message=message, job=job, confirm=ConfirmForm(),
                           mail=mail, kind_label=kind_named(message.kind).label,
                           text=links.resolve(message.text_body, mail.base_url))


def _back(message: Message):
    return redirect(local_target(request.form.get("next")) or url_for("messages.show", message_id=message.id))


@bp.post("/messages/<int:message_id>/cancel")
@permission_required("messages.manage")
def cancel(message_id: int):
    message = db.get_or_404(Message, message_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.cancel_message(db.session, acting(), message, now=now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash("The message is cancelled: it will not be sent.", "success")
    return _back(message)


@bp.post("/messages/<int:message_id>/send-again")
@permission_required("messages.manage")
def send_again(message_id: int):
    message = db.get_or_404(Message, message_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.send_again(db.session, acting(), message, now=now())
        except DomainError as error:
            flash_refusal(error)
        else:
            flash("The message is queued to be sent again.", "success")
    return _back(message)


@bp.route("/settings/messages", methods=["GET", "POST"])
@permission_required("practice.settings")
def settings():
    current = services.message_settings(db.session)
    form = MessageSettingsForm(obj=current)
    if request.method == "GET":
        form.reminder_hours.data = ", ".join(map(str, services.reminder_hours(current)))
    if form.validate_on_submit():
        try:
            services.update_settings(
                db.session, acting(), confirmations=form.confirmations.data,
                reminder_hours_text=form.reminder_hours.data or "", quiet_from=form.quiet_from.data,
                quiet_until=form.quiet_until.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash("The message settings are saved.", "success")
            return redirect(url_for("messages.settings"))
    return _settings_page(form, TestMessageForm(to=current_user.email))


def _settings_page(form, test_form):
    status = 422 if form.errors or form.form_errors or test_form.errors or test_form.form_errors else 200
    return render_template("practice/messages/settings.html", form=form, test_form=test_form,
                           mail=services.mail(db.session)), status


@bp.post("/settings/messages/test")
@permission_required("practice.settings")
def send_test():
    test_form = TestMessageForm()
    if test_form.validate_on_submit():
        try:
            message = services.send_test(db.session, acting(), test_form.to.data, now=now())
        except DomainError as error:
            show_error(test_form, error)
        else:
            flash(f"A test message to {message.to_address} is in the outbox; its page shows the server's answer.",
                  "success")
            return redirect(url_for("messages.show", message_id=message.id))
    current = services.message_settings(db.session)
    form = MessageSettingsForm(formdata=None, obj=current)
    form.reminder_hours.data = ", ".join(map(str, services.reminder_hours(current)))
    return _settings_page(form, test_form)


@bp.route("/clients/<int:client_id>/email-consent", methods=["GET", "POST"])
@permission_required("clients.edit")
def consent(client_id: int):
    """What the client agreed to receive by e-mail, on its own page opened from the client
    page's e-mail card (the form and its fields were written into every view of the client
    page, for something recorded once or twice a client)."""
    client = db.get_or_404(Client, client_id)
    recorded = queries.consent_for(client.id)
    form = ConsentForm(prefix="consent", obj=recorded)
    if form.validate_on_submit():
        try:
            services.record_consent(db.session, acting(), client, confirmations=form.confirmations.data,
                                    reminders=form.reminders.data, now=now())
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{client.display_name}'s e-mail choices are saved.", "success")
            return redirect(url_for("clients.show", client_id=client.id, _anchor="email-heading"))
    return render_template("practice/messages/consent.html", client=client, email_consent=recorded,
                           consent_form=form), 422 if form.errors or form.form_errors else 200

"""Friendly pages for every error status; nothing a user types should end on a bare 500."""

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from practice.unit_of_work import discard_changes

MESSAGES = {
    400: ("This request could not be understood", "Please go back and try again."),
    403: (
        "You do not have access to this page",
        "Your account's role does not include this. An admin can change roles on the users page.",
    ),
    404: ("Page not found", "The page or record you asked for does not exist."),
    405: ("Not allowed", "This page cannot be used that way."),
    413: ("That upload is too large", "Please choose a smaller file."),
    429: ("Too many attempts", "Please wait a few minutes and try again."),
    500: (
        "Something went wrong on our side",
        "Nothing you entered was saved half-way. Please try again; if it keeps happening, "
        "tell your admin the time it happened.",
    ),
}


def register_error_pages(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_expired(error):
        return render_template(
            "practice/errors/error.html",
            code=400,
            title="This form has expired",
            message="For your safety, forms stop working after you sign out or the session "
            "ends. Go back, reload the page and submit again.",
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        title, message = MESSAGES.get(error.code, (error.name, error.description))
        if error.description != type(error).description:  # abort() said what was wrong
            message = error.description
        return render_template(
            "practice/errors/error.html", code=error.code, title=title, message=message
        ), error.code

    @app.errorhandler(500)
    def server_error(error):
        discard_changes()  # the page below reads through a usable session
        title, message = MESSAGES[500]
        return render_template(
            "practice/errors/error.html", code=500, title=title, message=message
        ), 500

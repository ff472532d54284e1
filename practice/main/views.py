from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user

from practice.db import db
from practice.health import OK, database_state

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for("scheduling.today"))


@bp.get("/healthz")
def healthz():
    database = database_state(db.session)
    status = "ok" if database == OK else "degraded"
    return jsonify(status=status, database=database), 200 if status == "ok" else 503

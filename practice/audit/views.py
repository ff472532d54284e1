from flask import Blueprint, current_app, render_template, request

from practice.audit import queries
from practice.auth.permissions import permission_required
from practice.web import page_number

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@permission_required("audit.view")
def index():
    action = request.args.get("action", "")
    page = queries.audit_page(page_number(), current_app.config["PRACTICE_PAGE_SIZE"] * 2, action)
    return render_template(
        "practice/audit/index.html", page=page, action=action, actions=queries.audit_actions()
    )

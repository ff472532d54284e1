"""The floor page: the least a page of this stack costs. Signed-in user, the permission
check, one indexed query (a client by primary key) and the base layout, nothing else.
Registered by the benchmark on its own app only; the product has no such page."""

from flask import Blueprint, abort, render_template

from practice.auth.permissions import permission_required
from practice.clients.models import Client
from practice.db import db

bp = Blueprint("bench", __name__, url_prefix="/bench", template_folder="templates")


@bp.get("/floor/<int:client_id>")
@permission_required("clients.view")
def floor(client_id: int):
    client = db.session.get(Client, client_id) or abort(404)
    return render_template("bench/floor.html", client=client)

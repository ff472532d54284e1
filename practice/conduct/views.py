from flask import Blueprint

bp = Blueprint("conduct", __name__)

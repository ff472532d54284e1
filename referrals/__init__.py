"""The referral network: a blueprint that a Flask application can also register on its own.

Its pages (directory, matching, referrals out and in) come with the referral network issue."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

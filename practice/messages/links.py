"""Links that travel in messages, and the signed tokens in them.

A message is written when its action happens, perhaps before the site's address is configured
and often where there is no request to take it from (the worker writes reminders). So a link is
written against a placeholder, and the address clients reach the site at (PRACTICE_BASE_URL)
is put in when the message is sent, or shown."""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

# An address that can never be reached (RFC 2606), should one ever be left in place.
PLACEHOLDER = "https://practice-base-url.invalid"


def external(endpoint: str, **values) -> str:
    """A page's address as a message carries it."""
    return PLACEHOLDER + current_app.url_map.bind("localhost").build(endpoint, values)


def resolve(text: str, base_url: str) -> str:
    """The text with the site's real address in its links."""
    return text.replace(PLACEHOLDER, base_url.rstrip("/")) if base_url else text


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=salt)


def sign(salt: str, payload) -> str:
    return _serializer(salt).dumps(payload)


def unsign(salt: str, token: str):
    """The payload, or None when the token was not made here (or was changed)."""
    try:
        return _serializer(salt).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None

"""Protective headers on every response the practice sends.

A small hook rather than a library: Flask-Talisman (the usual choice) has had no release
since 2023, would force HTTPS and HSTS on the practice's own machine where it runs on plain
HTTP, and sets no Cache-Control, which is the header that keeps client data out of caches.

- Content-Security-Policy: scripts and styles only from the app's own files. The few inline
  <style> blocks that must stay inline (the letter preview, the printable review) carry
  this response's nonce; no inline script or event handler is allowed at all.
- Frames: no other site may frame a page (frame-ancestors, and X-Frame-Options for older
  browsers).
- Referrer-Policy: no-referrer, because calendar feed tokens travel in URLs.
- Cache-Control: "private, no-store" on everything but the static files: pages, PDFs, CSV and feeds
  carry client data, and must not stay in a browser's or a proxy's cache."""

import secrets

from flask import Flask, g, request

STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def csp_nonce() -> str:
    """This response's nonce, for an inline <style> that must stay inline."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{nonce}'",
        "img-src 'self' data:",  # the letter preview's logo is a data: URI
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def protect(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint not in STATIC_ENDPOINTS:
        headers["Cache-Control"] = "private, no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(protect)
    app.jinja_env.globals["csp_nonce"] = csp_nonce

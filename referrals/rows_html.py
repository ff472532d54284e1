"""The network's entries written as HTML in Python, as the client page's lists are
(practice/clients/rows_html.py): on a list of 25 (the match page's colleagues, the directory,
the entries to check), every value looked up and escaped by Jinja on its own and a macro call
for each badge, date and form were a third of the page's rendering. The markup is what the
templates' macros and loops wrote; every value is escaped here as Jinja's autoescape would
(markupsafe.escape). accepting_badge, checked, verify_form, directory_rows and match_cards
are the templates' globals (views.referrals_context)."""

from flask import current_app
from markupsafe import Markup, escape

# Each answer to "accepting new clients?", as a badge.
ACCEPTING_BADGES = {"yes": '<span class="badge text-bg-success">Accepting</span>',
                    "no": '<span class="badge text-bg-secondary">Not accepting</span>'}
NOT_KNOWN_BADGE = '<span class="badge text-bg-light border">Accepting: not known</span>'
# What the one-click "verified today" may say of accepting new clients.
ACCEPTING_NOW = ('<option value="">No change</option><option value="yes">Accepting: yes</option>'
                 '<option value="no">Accepting: no</option><option value="unknown">Accepting: not known</option>')


def accepting_badge(specialist) -> Markup:
    return Markup(ACCEPTING_BADGES.get(specialist.accepting, NOT_KNOWN_BADGE))


def checked(specialist) -> str:
    """When the entry's details were last checked (text: the template escapes it)."""
    return specialist.verified_on.strftime("%-d %b %Y") if specialist.verified_on else "never"


def verify_form(specialist, hidden: Markup, at: str) -> Markup:
    """One-click "verified today", with an optional new answer to "accepting new clients".
    `hidden` (the token, where to return: _verify.html's verify_hidden) and `at` (where the
    entries' pages are: entries_at) are what every such form of a page has alike: built once
    for a list of entries, not once per row."""
    return Markup(
        f'<form class="d-flex gap-1 align-items-center" method="post" action="{escape(at)}{specialist.id}/verify">\n'
        f'  {hidden}\n'
        f'  <label class="visually-hidden" for="accepting-{specialist.id}">Accepting new clients now? '
        f'({escape(specialist.name)})</label>\n'
        f'  <select class="form-select form-select-sm w-auto" id="accepting-{specialist.id}" name="accepting">\n'
        f'    {ACCEPTING_NOW}\n'
        f'  </select>\n'
        f'  <button class="btn btn-sm btn-outline-success text-nowrap" type="submit">Verified today</button>\n'
        f'</form>')


def directory_rows(entries, offers: dict[int, list[str]], *, at: str, hidden: Markup | None) -> Markup:
    """The directory's <tr> of each entry: name (a link to the entry: `at` and the id) and
    business, what it offers (`offers`: names by entry id), area, badge, last checked, and
    with `hidden` (those who may edit: verify_form's) the "verified today" form."""
    at = str(escape(at))
    return Markup("".join(_directory_row(entry, offers.get(entry.id, ()), at, hidden) for entry in entries))


def _directory_row(entry, offers, at: str, hidden: Markup | None) -> str:
    business = f'<div class="small text-muted">{escape(entry.business)}</div>' if entry.business else ""
    form = f"<td>{verify_form(entry, hidden, at)}</td>" if hidden is not None else ""
    return (
        f'\n    <tr>\n'
        f'      <td><a href="{at}{entry.id}">{escape(entry.name)}</a>{business}</td>\n'
        f'      <td class="small">{", ".join(escape(name) for name in offers)}</td>\n'
        f'      <td>{escape(entry.area)}</td>\n'
        f'      <td>{accepting_badge(entry)}</td>\n'
        f'      <td class="text-nowrap">{escape(checked(entry))}</td>\n'
        f'      {form}\n'
        f'    </tr>\n  '
    )


def match_cards(matches, *, at: str, refer_as: str | None, letters: dict[int, str]) -> Markup:
    """The <li> of each match: the colleague's name (a link to their entry: `at` and the id),
    business, badge, the reasons, phone (as the page's `phone` filter writes it) and e-mail,
    then "Refer <client> to …" (a button of the page's referral form) when `refer_as` (the
    client's name) is given, and the link to a referral letter when `letters` has one."""
    phone = current_app.jinja_env.filters["phone"]
    at = str(escape(at))
    return Markup("".join(_card(m.specialist, m.reasons, at, phone, refer_as, letters.get(m.specialist.id))
                          for m in matches))


def _card(specialist, reasons, at: str, phone, refer_as: str | None, letter: str | None) -> str:
    name = escape(specialist.name)
    business = f' <span class="small text-muted">{escape(specialist.business)}</span>' if specialist.business else ""
    email = f" · {escape(specialist.email)}" if specialist.email else ""
    return (
        f'\n    <li class="card mb-2" aria-label="{name}"><div class="card-body">\n'
        f'      <div class="d-flex flex-wrap gap-2 align-items-center">\n'
        f'        <h2 class="h5 mb-0 me-auto"><a href="{at}{specialist.id}">{name}</a>{business}</h2>\n'
        f'        {ACCEPTING_BADGES.get(specialist.accepting, NOT_KNOWN_BADGE)}\n'
        f'      </div>\n'
        f'      <ul class="small mb-1">{"".join(f"<li>{escape(reason)}</li>" for reason in reasons)}</ul>\n'
        f'      <div class="small text-muted">{escape(phone(specialist.phone))}{email}</div>\n'
        f'      {_actions(specialist, name, refer_as, letter)}\n'
        f'    </div></li>\n  '
    )


def _actions(specialist, name: str, refer_as: str | None, letter: str | None) -> str:
    if refer_as is None and letter is None:
        return ""
    refer = (f'<button type="submit" form="refer" name="specialist_id" value="{specialist.id}" '
             f'class="btn btn-sm btn-practice">Refer {escape(refer_as)} to {name}</button>'
             if refer_as is not None else "")
    write = (f'<a class="btn btn-sm btn-outline-primary" href="{escape(letter)}">Write a referral letter to {name}</a>'
             if letter is not None else "")
    return f'<div class="d-flex flex-wrap gap-2 mt-2">\n        {refer}\n        {write}\n      </div>'

"""The match page's colleagues written as HTML in one pass, as the client page's lists are
(practice/clients/rows_html.py): 25 cards of a dozen values each, every value looked up and
escaped by Jinja on its own and each badge a macro call, were a third of the page's
rendering. The markup is what match.html's loop wrote; every value is escaped here as
Jinja's autoescape would (markupsafe.escape)."""

from flask import current_app
from markupsafe import Markup, escape

# Each answer to "accepting new clients?" as _verify.html's accepting_badge writes it.
ACCEPTING_BADGES = {"yes": '<span class="badge text-bg-success">Accepting</span>',
                    "no": '<span class="badge text-bg-secondary">Not accepting</span>'}
NOT_KNOWN_BADGE = '<span class="badge text-bg-light border">Accepting: not known</span>'


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

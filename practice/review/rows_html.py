"""The review's two tables written in one pass: the day's sessions and tomorrow's. Jinja
placing a dozen values in each row (each looked up and escaped on its own, the outcome's
badge a macro call) was a fifth of the page's rendering. The markup is what the templates'
loops wrote; every value from the practice's data (names, services, amounts, standings) is
escaped as Jinja's autoescape would (markupsafe.escape); what desk_row writes (times,
lateness, flags) is digits and fixed words."""

from collections.abc import Callable

from markupsafe import Markup, escape

from practice.localtime import clock
from practice.scheduling.queries import STATUS_LABELS, DeskRow

_STYLES = {"booked": "primary", "arrived": "success", "completed": "secondary", "cancelled": "light",
           "late_cancelled": "warning", "no_show": "danger"}
# Each outcome as scheduling/_status.html's status_badge writes it.
_BADGES = {status: f'<span class="badge text-bg-{_STYLES[status]}">{escape(label)}</span>'
           for status, label in STATUS_LABELS.items()}
_NOT_BOOKABLE = '<span class="badge text-bg-dark" title="Ask the practitioner before booking">Not bookable</span>'
_UNACKNOWLEDGED = '<span class="badge text-bg-light border">policy not acknowledged</span>'


def day_rows(rows: list[DeskRow], *, client_url: str, zone, money: Callable[[int], str]) -> Markup:
    """The <tr> of each of the day's sessions: its start, the client (a link to their page),
    the service, the outcome with lateness, the fee (and whether it was waived), what was
    paid and what is owing once the session is marked. `money`: the page's filter."""
    client_url = str(escape(client_url))
    written = []
    for row in rows:
        a = row.appointment
        late = f'<span class="text-danger-emphasis">{row.late}</span>' if row.late else row.lateness
        fee = f"{escape(money(a.fee_cents))}{' waived' if a.fee_waived else ''}" if a.fee_cents else ""
        paid = escape(money(row.paid_cents)) if row.paid_cents else ""
        owing = row.owing_cents
        owes = f"<strong>{escape(money(owing))}</strong>" if owing > 0 and a.status != "booked" else ""
        written.append(
            f'\n      <tr><td class="nowrap">{clock(a.start_at, zone)}</td>\n'
            f'        <td><a href="{client_url}{row.client_id}">{escape(row.who)}</a></td>\n'
            f'        <td>{escape(row.service)}</td><td>{_BADGES[a.status]} {late}</td>\n'
            f'        <td>{fee}</td>\n        <td>{paid}</td>\n        <td>{owes}</td></tr>\n    ')
    return Markup("".join(written))


def tomorrow_rows(rows: list[DeskRow], *, client_url: str, in_care: set[int], unacknowledged: set[int],
                  standings: dict[str, str]) -> Markup:
    """The <tr> of each of tomorrow's sessions: its times, the client with their flag and
    whether they have acknowledged the policy, the service. A client in the practitioner's
    care shows their standing when it is not active; anyone else's only the front desk's
    neutral flag, as Today shows it."""
    client_url = str(escape(client_url))
    written = []
    for row in rows:
        if row.client_id not in in_care:
            flag = (_NOT_BOOKABLE if row.flag == "Not bookable" else
                    f'<span class="badge text-bg-warning">{row.flag}</span>' if row.flag else "")
        else:
            standing = row.appointment.standing
            flag = (f'<span class="badge text-bg-warning">{escape(standings[standing])}</span>'
                    if standing != "active" else "")
        written.append(
            f'\n    <tr><td class="nowrap">{row.when}</td>\n'
            f'      <td><a href="{client_url}{row.client_id}">{escape(row.who)}</a>\n'
            f'        {flag}\n'
            f'        {_UNACKNOWLEDGED if row.client_id in unacknowledged else ""}</td>\n'
            f'      <td>{escape(row.service)}</td></tr>\n  ')
    return Markup("".join(written))

"""Bad input on every form: a clear message next to the field, what the user typed kept,
and never a server error.

The field macro (templates/practice/macros.html) renders a field's errors as
`<div id="<field id>-error" class="invalid-feedback d-block">`; `error_for` reads it back."""

import html
import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, got_request_exception
from PIL import Image

from practice.auth import services as auth_services
from practice.auth.models import User
from practice.clients.models import Client
from practice.db import db
from practice.policies.queries import current_policy
from practice.scheduling.models import Appointment
from practice.settings.models import PracticeProfile
from tests.conftest import (
    CHEAP_PASSWORD_HASH,
    PASSWORD,
    app_on_a_copy,
    build_snapshot,
    make_client_record,
)
from tests.test_access import (
    BUSY_ICS,
    POLICY_FORM,
    booked_appointment,
    care_world,
    conduct_world,
    time_off,
)
from tests.test_imports import imports_world
from tests.test_jobs import jobs_world, run_jobs
from tests.test_letters import letters_world
from tests.test_messages import messages_world
from tests.test_online_booking import online_world


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """Many sign-ins here: a cheap hash keeps the module quick (the checks are the same)."""
    monkeypatch.setattr(auth_services, "generate_password_hash", CHEAP_PASSWORD_HASH)


# Reading pages back --------------------------------------------------------------------

def error_for(page: str, field_id: str) -> str | None:
    """The message shown next to a field, or None when the field has no error."""
    found = re.search(
        rf'<div id="{re.escape(field_id)}-error" class="invalid-feedback[^"]*">(.*?)</div>', page, re.S
    )
    return html.unescape(found.group(1)) if found else None


def errors_in(page: str) -> dict[str, str]:
    return {
        field: html.unescape(message)
        for field, message in re.findall(
            r'<div id="([^"]+)-error" class="invalid-feedback[^"]*">(.*?)</div>', page, re.S
        )
    }


def alerts_in(page: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r'class="alert alert-danger" role="alert">(.*?)</div>', page, re.S)]


class _FieldValues(HTMLParser):
    """name -> value of the inputs, textareas and selects of a page, as a browser shows them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("password", "file", "submit"):
            if attrs.get("type") == "checkbox":
                self.values[name] = "checked" if "checked" in attrs else ""
            else:
                self.values[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def field_values(page: str) -> dict[str, str]:
    parser = _FieldValues()
    parser.feed(page)
    return parser.values


PASSWORD_FIELDS = {"password", "confirm"}  # never sent back to the browser, by design


def assert_kept(page: str, typed: dict, *, skip=()) -> None:
    """Every field the user filled in still shows what they typed."""
    shown = field_values(page)
    for name, value in typed.items():
        if name in skip or name in PASSWORD_FIELDS or not isinstance(value, str):
            continue
        assert name in shown, f"{name} is not on the page any more"
        # browsers drop one newline right after <textarea>; WTForms writes one there
        assert shown[name].replace("\r\n", "\n").removeprefix("\n") == value, name


def image_bytes(fmt="PNG", size=(8, 8), mode="RGB", noise=False) -> bytes:
    if noise:
        image = Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))
    else:
        image = Image.new(mode, size, "teal" if mode == "RGB" else 1)
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Setup --------------------------------------------------------------------------------

SETUP = {
    "name": "Harbour Street Massage", "address": "12 Harbour Street\nBristol", "phone": "0117 496 0000",
    "email": "hello@harbour.example", "website": "harbour.example", "timezone": "Europe/London",
    "currency": "GBP", "phone_region": "GB", "admin_name": "Alex Admin",
    "admin_email": "alex@harbour.example", "password": PASSWORD, "confirm": PASSWORD,
}


@pytest.mark.parametrize("changes, field, message", [
    ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Not a valid choice"),
    ({"timezone": ""}, "timezone", ""),
    ({"currency": "pounds"}, "currency", "3 characters"),
    ({"currency": "£££"}, "currency", "three-letter currency code"),
    ({"phone_region": "XX"}, "phone_region", "two-letter country code"),
    ({"password": "short", "confirm": "short"}, "password", "between 10 and 200 characters"),
    ({"confirm": "something else entirely"}, "confirm", "The two passwords differ."),
    ({"admin_email": "alex@"}, "admin_email", "Invalid email address."),
    ({"admin_email": "not an address"}, "admin_email", "Invalid email address."),
    ({"admin_name": ""}, "admin_name", "This field is required."),
    ({"name": "   "}, "name", ""),
    ({"email": "hello@"}, "email", "Invalid email address."),
], ids=lambda value: value if isinstance(value, str) else None)
def test_setup_refuses_bad_details_next_to_the_field(client, changes, field, message):
    typed = SETUP | changes
    response = client.post("/setup", data=typed)
    assert response.status_code < 500
    page = response.get_data(as_text=True)
    shown = error_for(page, field)
    assert shown is not None, f"no message next to {field}; errors: {errors_in(page)} {alerts_in(page)}"
    assert message in shown
    assert_kept(page, typed, skip={"timezone", *changes})
    assert count(User) == 0 and count(PracticeProfile) == 0


# Sign-in ------------------------------------------------------------------------------

def test_wrong_password_says_so_and_keeps_the_email(client, practice):
    response = client.post("/login", data={"email": practice.email, "password": "not the password"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert alerts_in(page) == ["That e-mail address and password do not match an active account."]
    assert field_values(page)["email"] == practice.email
    assert "not the password" not in page  # the password is never echoed


def test_login_with_missing_fields_marks_them(client, practice):
    page = client.post("/login", data={}).get_data(as_text=True)
    assert error_for(page, "email") == "This field is required."
    assert error_for(page, "password") == "This field is required."


def test_sign_in_is_throttled_per_account_after_five_failures(app, client, practice):
    for attempt in range(5):
        response = client.post("/login", data={"email": practice.email, "password": f"wrong {attempt}"})
        assert response.status_code == 200
    refused = client.post("/login", data={"email": practice.email, "password": PASSWORD})
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Please wait 15 minutes" in " ".join(alerts_in(page))
    assert field_values(page)["email"] == practice.email
    # another account from the same address is not affected
    other = client.post("/login", data={"email": "someone@harbour.example", "password": "wrong"})
    assert other.status_code == 200


def test_sign_in_is_throttled_per_address(app, client, practice):
    app.config["PRACTICE_LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    here = {"REMOTE_ADDR": "198.51.100.4"}
    for number in range(3):
        client.post("/login", data={"email": f"guess{number}@harbour.example", "password": "x"},
                    environ_base=here)
    refused = client.post("/login", data={"email": practice.email, "password": PASSWORD}, environ_base=here)
    assert refused.status_code == 429
    assert "wait" in " ".join(alerts_in(refused.get_data(as_text=True)))
    elsewhere = client.post("/login", data={"email": practice.email, "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 302


def test_the_default_address_limit_is_twenty(app, client, practice):
    for number in range(20):
        client.post("/login", data={"email": f"guess{number}@harbour.example", "password": "x"})
    assert client.post("/login", data={"email": practice.email, "password": PASSWORD}).status_code == 429


# Users ----------------------------------------------------------------------------------

NEW_USER = {"name": "Noor Hassan", "email": "noor@harbour.example", "role": "practitioner",
            "credentials": "RMT", "password": "a long enough passphrase"}


@pytest.mark.parametrize("changes, field, message", [
    ({"email": "FRAN1@harbour.example"}, "email", "already exists"),
    ({"role": "owner"}, "role", "Not a valid choice"),
    ({"role": ""}, "role", ""),
    ({"password": "short"}, "password", "between 10 and 200 characters"),
    ({"email": "noor@"}, "email", "Invalid email address."),
    ({"name": ""}, "name", "This field is required."),
    ({"credentials": "x" * 201}, "credentials", "200 characters"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_users_page_refuses_bad_details_next_to_the_field(client, users, login, make_user, changes, field, message):
    make_user("front_desk", email="fran1@harbour.example")
    login(users["admin"])
    before = count(User)
    typed = NEW_USER | changes
    response = client.post("/users", data=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = error_for(page, field)
    assert shown is not None, f"no message next to {field}; errors: {errors_in(page)} {alerts_in(page)}"
    assert message in shown
    assert_kept(page, typed, skip={"role", *changes})
    assert count(User) == before


def test_the_last_admin_cannot_be_demoted(client, users, login):
    admin = users["admin"]
    login(admin)
    typed = {"name": "Alex A. Admin", "role": "front_desk", "credentials": "Dip. Massage"}
    response = client.post(f"/users/{admin.id}", data=typed)
    assert response.status_code < 500
    page = response.get_data(as_text=True)
    assert error_for(page, "role") == "The practice needs at least one active admin."
    assert_kept(page, typed, skip={"role"})
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"


def test_edit_user_refuses_a_bad_role_and_an_empty_name(client, users, login):
    login(users["admin"])
    page = client.post(f"/users/{users['practitioner'].id}", data={"name": "", "role": "boss"}).get_data(as_text=True)
    assert error_for(page, "name") == "This field is required."
    assert "Not a valid choice" in error_for(page, "role")


def test_a_missing_user_is_a_not_found_page(client, users, login):
    login(users["admin"])
    assert client.get("/users/9999").status_code == 404
    assert client.post("/users/9999", data={"name": "x", "role": "admin"}).status_code == 404
    assert client.post("/users/9999/active", data={"active": "0"}).status_code == 404


def test_admins_cannot_deactivate_themselves(client, users, login):
    login(users["admin"])
    page = client.post(f"/users/{users['admin'].id}/active", data={"active": "0"}, follow_redirects=True)
    assert "You cannot deactivate your own account." in page.get_data(as_text=True)


def test_invitation_refuses_short_and_mismatched_passwords(app, client, make_user):
    invited = make_user("front_desk", password=None)
    url = f"/invite/{auth_services.invitation_token(invited, app.secret_key)}"
    page = client.post(url, data={"password": "short", "confirm": "short"}).get_data(as_text=True)
    assert "between 10 and 200 characters" in error_for(page, "password")
    page = client.post(url, data={"password": "a long passphrase", "confirm": "another one"}).get_data(as_text=True)
    assert error_for(page, "confirm") == "The two passwords differ."


# Settings ---------------------------------------------------------------------------------

DETAILS = {
    "name": "Harbour Street Massage", "address": "12 Harbour Street\nBristol", "phone": "0117 496 0000",
    "email": "hello@harbour.example", "website": "harbour.example", "timezone": "Europe/London",
    "currency": "GBP", "phone_region": "GB",
}


@pytest.mark.parametrize("changes, field, message", [
    ({"timezone": "Europe/Atlantis"}, "timezone", "Not a valid choice"),
    ({"currency": "pounds"}, "currency", "3 characters"),
    ({"currency": "12£"}, "currency", "three-letter currency code"),
    ({"phone_region": "XX"}, "phone_region", "two-letter country code"),
    ({"phone_region": "G"}, "phone_region", "2 characters"),
    ({"name": ""}, "name", "This field is required."),
    ({"email": "hello@"}, "email", "Invalid email address."),
    ({"website": "w" * 201}, "website", "200 characters"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_settings_refuse_bad_details_next_to_the_field(client, users, login, changes, field, message):
    login(users["admin"])
    typed = DETAILS | {"address": "1 New Road\nBath"} | changes
    response = client.post("/settings/", data=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = error_for(page, field)
    assert shown is not None, f"no message next to {field}; errors: {errors_in(page)} {alerts_in(page)}"
    assert message in shown
    assert_kept(page, typed, skip={"timezone", *changes})
    db.session.expire_all()
    assert db.session.scalar(sa.select(PracticeProfile)).address == "12 Harbour Street\nBristol"


def _upload_logo(client, data: bytes, filename="logo.png"):
    return client.post("/settings/logo", data={"logo-logo": (io.BytesIO(data), filename)})


@pytest.mark.parametrize("data, filename, message", [
    (b"Just some notes, not a picture.\n" * 10, "logo.png", "not a PNG or JPEG"),
    (image_bytes("GIF", mode="P"), "logo.gif", "must be a PNG or JPEG"),
    (image_bytes("GIF", mode="P"), "logo.png", "must be a PNG or JPEG"),
    (image_bytes("BMP"), "logo.png", "must be a PNG or JPEG"),
    (image_bytes()[:40], "logo.png", "not a PNG or JPEG"),  # a truncated PNG
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "not a PNG or JPEG"),
    (b"", "logo.png", "Choose an image file."),
], ids=["text-as-png", "gif", "gif-as-png", "bmp", "truncated-png", "svg", "empty"])
def test_logo_refuses_files_that_are_not_png_or_jpeg(client, users, login, data, filename, message):
    login(users["admin"])
    response = _upload_logo(client, data, filename)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in (error_for(page, "logo-logo") or ""), errors_in(page)
    assert field_values(page)["name"] == "Harbour Street Massage"  # the details form is still there
    assert client.get("/settings/logo").status_code == 404


def test_logo_refuses_a_file_over_the_size_limit(app, client, users, login):
    app.config["PRACTICE_LOGO_MAX_BYTES"] = 10 * 1024
    login(users["admin"])
    large = image_bytes(size=(200, 200), noise=True)
    assert len(large) > 10 * 1024
    page = _upload_logo(client, large).get_data(as_text=True)
    assert "too large" in error_for(page, "logo-logo") and "10 KB" in error_for(page, "logo-logo")
    assert client.get("/settings/logo").status_code == 404


def test_logo_refuses_too_many_pixels(client, users, login):
    login(users["admin"])
    page = _upload_logo(client, image_bytes(size=(4100, 4000), mode="1")).get_data(as_text=True)
    assert "4000 × 4000" in error_for(page, "logo-logo")


def test_a_real_png_logo_is_accepted_and_served(client, users, login):
    login(users["admin"])
    logo = image_bytes(size=(16, 8))
    response = _upload_logo(client, logo)
    assert response.status_code == 302
    served = client.get("/settings/logo")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.get_data() == logo
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert 'src="/settings/logo"' in client.get("/settings/").get_data(as_text=True)


def test_a_jpeg_logo_is_served_as_jpeg_whatever_its_name(client, users, login):
    login(users["admin"])
    assert _upload_logo(client, image_bytes("JPEG"), "logo.png").status_code == 302
    assert client.get("/settings/logo").mimetype == "image/jpeg"


# Clients -------------------------------------------------------------------------------------

CLIENT = {
    "display_name": "Sam", "legal_name": "Samantha Lee", "pronouns": "she/her",
    "phone": "07911 123456", "email": "sam@example.org", "address": "1 Long Lane\nBristol",
    "date_of_birth": "1990-05-01", "primary_practitioner_id": "0", "referral_source": "Dr Ahmed",
}

CLIENT_CASES = [
    ({"display_name": ""}, "display_name", "This field is required."),
    ({"display_name": "   "}, "display_name", ""),
    ({"phone": "12"}, "phone", "not a valid phone number"),
    ({"phone": "phone me"}, "phone", "not a valid phone number"),
    ({"email": "sam@"}, "email", "not a valid e-mail address"),
    ({"date_of_birth": "2027-01-01"}, "date_of_birth", "must be a past date"),
    ({"date_of_birth": "1850-01-01"}, "date_of_birth", "Choose a date from 1900 to 2199."),
    ({"date_of_birth": "31/12/1990"}, "date_of_birth", "Not a valid date value."),
    ({"primary_practitioner_id": "9999"}, "primary_practitioner_id", "Not a valid choice"),
    ({"primary_practitioner_id": "Priya"}, "primary_practitioner_id", "could not coerce"),
    ({"display_name": "S" * 121}, "display_name", "120 characters"),
    ({"legal_name": "L" * 201}, "legal_name", "200 characters"),
    ({"pronouns": "p" * 41}, "pronouns", "40 characters"),
    ({"phone": "0" * 41}, "phone", "40 characters"),
    ({"email": "e" * 250 + "@x.org"}, "email", "254 characters"),
    ({"address": "a" * 1001}, "address", "1000 characters"),
    ({"referral_source": "r" * 201}, "referral_source", "200 characters"),
]


def _check_client_form(response, typed, changes, field, message):
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = error_for(page, field)
    assert shown is not None, f"no message next to {field}; errors: {errors_in(page)} {alerts_in(page)}"
    assert message in shown
    assert_kept(page, typed, skip={"primary_practitioner_id", *changes})


@pytest.mark.parametrize("changes, field, message", CLIENT_CASES,
                         ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_new_client_refuses_bad_details_next_to_the_field(client, users, login, changes, field, message):
    login(users["front_desk"])
    typed = CLIENT | changes
    _check_client_form(client.post("/clients/new", data=typed), typed, changes, field, message)
    assert count(Client) == 0


@pytest.mark.parametrize("changes, field, message", CLIENT_CASES,
                         ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_edit_client_refuses_bad_details_next_to_the_field(client, users, login, make_client, changes, field, message):
    sam = make_client("Sam", phone="07911 123456")
    login(users["front_desk"])
    typed = CLIENT | {"display_name": "Sam L"} | changes
    _check_client_form(client.post(f"/clients/{sam.id}/edit", data=typed), typed, changes, field, message)
    db.session.expire_all()
    assert db.session.get(Client, sam.id).display_name == "Sam"


def test_an_inactive_practitioner_cannot_be_chosen(client, users, login):
    practitioner = users["practitioner"].practitioner
    practitioner.active = False
    db.session.commit()
    login(users["front_desk"])
    page = client.post("/clients/new", data={"display_name": "Sam", "primary_practitioner_id": str(practitioner.id)})
    assert "Not a valid choice" in error_for(page.get_data(as_text=True), "primary_practitioner_id")


def test_a_good_client_form_still_saves(client, users, login):
    login(users["front_desk"])
    typed = CLIENT | {"primary_practitioner_id": str(users["practitioner"].practitioner.id)}
    assert client.post("/clients/new", data=typed).status_code == 302
    sam = db.session.scalar(sa.select(Client))
    assert (sam.phone, sam.email, str(sam.date_of_birth)) == ("+447911123456", "sam@example.org", "1990-05-01")


# Client import -------------------------------------------------------------------------------

def _upload_csv(client, data: bytes | str, filename="clients.csv"):
    """Upload; once the file is accepted, let the worker check it and read its report."""
    if isinstance(data, str):
        data = data.encode()
    response = client.post("/clients/import", data={"file": (io.BytesIO(data), filename)})
    if response.status_code == 302 and response.headers["Location"].startswith("/imports/"):
        run_jobs()
        return client.get(response.headers["Location"])
    return response


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(line, name, check text) of each row of the preview table."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows.append((cells[0].strip(), html.unescape(cells[1]).strip(), " ".join(html.unescape(cells[4]).split())))
    return rows


def _import_button(page: str) -> str | None:
    """Where the report's "Import" button posts, if it offers one."""
    found = re.search(r'<form method="post" action="(/imports/\d+/import)"', page)
    return found.group(1) if found else None


@pytest.mark.parametrize("data, message", [
    (bytes(range(256)) * 4, "This is not a text file. Upload a CSV file."),
    (b"\x00\x81\x8d\xff" * 50, "This is not a text file. Upload a CSV file."),
    (b"\x81\x8d\x8f\x90" * 50, "Save the file as CSV (UTF-8)"),
    (None, "Choose a CSV file."),
    (b"", "The file is empty."),
    (b"   \n\n", "The file is empty."),
], ids=["binary", "nul-garbage", "undecodable", "no-file", "empty", "blank"])
def test_import_refuses_files_that_are_not_csv_text(client, users, login, data, message):
    login(users["admin"])
    response = _upload_csv(client, data) if data is not None else client.post("/clients/import", data={})
    assert response.status_code < 500
    page = response.get_data(as_text=True)
    assert message in (error_for(page, "file") or ""), (errors_in(page), alerts_in(page))
    assert _import_button(page) is None


@pytest.mark.parametrize("text, message", [
    ("name,phone\nSam,07911 123456\n", "include display_name"),
    ("Dear practice,\nplease find my clients below.\n", "include display_name"),
    ("display_name,shoe_size\nSam,42\n", "Unknown columns: shoe_size."),
    ("display_name\n", "The file has no client rows."),
    ('display_name\n"' + "a" * 200_000 + '"\n', "stops reading as CSV"),
], ids=["no-display_name", "prose", "unknown-column", "header-only", "huge-cell"])
def test_import_refuses_files_with_the_wrong_shape(client, users, login, text, message):
    login(users["admin"])
    response = _upload_csv(client, text)
    assert response.status_code < 500
    page = response.get_data(as_text=True)
    assert any(message in alert for alert in alerts_in(page)), alerts_in(page)
    assert _import_button(page) is None


def test_one_bad_row_stops_the_whole_import_and_names_its_line(client, users, login):
    login(users["admin"])
    text = (
        "display_name,phone,email,date_of_birth\n"
        "Ana,07911 123456,ana@example.org,1985-02-03\n"
        "Bo,12,bo@,1990-13-01\n"
        "Cy,07400 123456,,\n"
    )
    page = _upload_csv(client, text).get_data(as_text=True)
    assert any("1 of 3 rows need correcting. Nothing has been imported." in alert for alert in alerts_in(page))
    rows = _rows(page)
    assert [(line, name) for line, name, _ in rows] == [("3", "Bo"), ("2", "Ana"), ("4", "Cy")]  # to correct first
    bad = rows[0][2]
    assert "phone: This is not a valid phone number" in bad
    assert "email: This is not a valid e-mail address" in bad
    assert "date_of_birth: write dates as YYYY-MM-DD." in bad
    assert rows[1][2] == "OK" and rows[2][2] == "OK"
    assert _import_button(page) is None  # no import button
    assert count(Client) == 0


def test_a_good_file_imports_every_row_with_duplicate_warnings(client, users, login, make_client):
    make_client("Sam", phone="07911 123456")
    login(users["admin"])
    text = (
        "Display Name,Phone,Email,Practitioner,Date-of-birth\n"
        "Samuel,+44 7911 123456,,,\n"
        "Ana,07400 123456,ana@example.org,Priya Practitioner,1985-02-03\n"
        "Ana B,,ANA@example.org,,\n"
    )
    response = _upload_csv(client, text)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "All 3 rows can be imported." in page
    rows = dict((line, check) for line, _, check in _rows(page))
    assert "Note: Same phone or e-mail as Sam (already a client)." in rows["2"]
    assert rows["3"] == "OK"
    assert "Note: Same phone or e-mail as line 3." in rows["4"]
    assert count(Client) == 1  # nothing saved by the preview

    button = _import_button(page)
    done = client.post(button, follow_redirects=True)
    assert "The import has started." in done.get_data(as_text=True)
    run_jobs()
    assert "Imported 3 clients." in client.get(done.request.path).get_data(as_text=True)
    assert count(Client) == 4
    ana = db.session.scalar(sa.select(Client).where(Client.display_name == "Ana"))
    assert ana.primary_practitioner_id == users["practitioner"].practitioner.id


def test_import_refuses_a_file_over_the_size_limit(app, client, users, login):
    app.config["PRACTICE_IMPORT_MAX_BYTES"] = 1024 * 1024
    login(users["admin"])
    page = _upload_csv(client, "display_name\n" + "Sam\n" * 300_000).get_data(as_text=True)
    assert "larger than 1 MB" in (error_for(page, "file") or "")


def test_a_spreadsheet_export_in_windows_1252_is_read(client, users, login):
    login(users["admin"])
    page = _upload_csv(client, "display_name,address\nZoë,Straße 1\n".encode("cp1252")).get_data(as_text=True)
    assert _rows(page) == [("2", "Zoë", "OK")]


# Anything at all: never a server error --------------------------------------------------------

CLIENT_FIELDS = ["display_name", "legal_name", "pronouns", "phone", "email", "address",
                 "date_of_birth", "primary_practitioner_id", "referral_source"]
DETAILS_FIELDS = ["name", "address", "phone", "email", "website", "timezone", "currency", "phone_region"]

INCIDENT_FIELDS = ["category_id", "severity", "safety", "occurred_from", "occurred_from_fold", "occurred_to",
                   "occurred_to_fold", "channel", "location", "description", "response", "effect",
                   "witnesses", "police_reference", "related_ids"]

BOOKING_FIELDS = ["client_id", "client_q", "new_client_name", "new_client_phone", "new_client_email",
                  "new_client_date_of_birth", "new_client_different", "practitioner_id", "service_id", "day",
                  "start", "start_fold", "repeat", "times", "notes", "override", "override_reason",
                  "confirm_series", "skip"]
# The booking form's other buttons, each a look-up that fills the form in again.
BOOKING_LOOK_UPS = ["show_slots", "first_free", "find_client", "pick_start", "pick_first"]

# endpoint -> (url builder, text fields (or a builder of them), file fields) of every POST route
REFERRAL_SPECIALIST_FIELDS = ["name", "business", "profession", "modality_ids", "phone", "email", "website",
                              "address", "area", "languages", "accessibility", "fees", "accepting", "notes"]

POST_FORMS = {
    "auth.setup": (lambda w: "/setup", DETAILS_FIELDS + ["admin_name", "admin_email", "password", "confirm", "sees_clients"], []),
    "auth.login": (lambda w: "/login", ["email", "password"], []),
    "auth.logout": (lambda w: "/logout", [], []),
    "auth.second_factor": (lambda w: "/login/code", ["code"], []),
    "auth.reset_two_factor": (lambda w: f"/users/{w['practitioner_id']}/two-factor/reset", [], []),
    "account.change_password": (lambda w: "/account/password",
                                ["password-current_password", "password-password", "password-confirm"], []),
    "account.sign_out_everywhere": (lambda w: "/account/sign-out-everywhere", [], []),
    "account.start_two_factor": (lambda w: "/account/two-factor/start", [], []),
    "account.confirm_two_factor": (lambda w: "/account/two-factor/confirm", ["code"], []),
    "account.disable_two_factor": (lambda w: "/account/two-factor/disable", ["disable-password"], []),
    "settings.two_factor": (lambda w: "/settings/sign-in", ["signin-require_two_factor"], []),
    "auth.accept_invitation": (lambda w: f"/invite/{w['invite_token']}", ["password", "confirm"], []),
    "auth.users": (lambda w: "/users", ["name", "email", "role", "credentials", "password"], []),
    "auth.edit_user": (lambda w: f"/users/{w['practitioner_id']}", ["name", "role", "credentials"], []),
    "auth.set_user_active": (lambda w: f"/users/{w['front_desk_id']}/active", ["active"], []),
    "auth.password_reset_link": (lambda w: f"/users/{w['practitioner_id']}/reset-link", [], []),
    "settings.index": (lambda w: "/settings/", DETAILS_FIELDS, []),
    "settings.upload_logo": (lambda w: "/settings/logo", [], ["logo-logo"]),
    "settings.remove_logo": (lambda w: "/settings/logo/remove", [], []),
    "clients.new": (lambda w: "/clients/new", CLIENT_FIELDS, []),
    "clients.edit": (lambda w: f"/clients/{w['client_id']}/edit", CLIENT_FIELDS, []),
    "clients.archive": (lambda w: f"/clients/{w['client_id']}/archive", ["restore"], []),
    "clients.set_standing": (lambda w: f"/clients/{w['client_id']}/standing", ["standing", "reason"], []),
    "review.mark_reviewed": (lambda w: "/review/reviewed", ["practitioner_id", "day"], []),
    "review.quick_incident": (lambda w: "/review/incident", ["client_id", "category_id", "severity", "channel", "description", "response"], []),
    "clients.write_note": (lambda w: f"/clients/{w['client_id']}/notes", ["kind", "colleague", "body"], []),
    "clients.grant_access": (lambda w: f"/clients/{w['client_id']}/access", ["access-practitioner_id", "access-reason"], []),
    "clients.revoke_access": (lambda w: f"/clients/{w['client_id']}/access/{w['grant_id']}/revoke", [], []),
    # One form per match on the page, its fields named after the matched client.
    "clients.decide_identity": (lambda w: f"/clients/{w['held_client_id']}/identity/{w['blocked_client_id']}",
                                lambda w: [f"identity{w['blocked_client_id']}-{name}" for name in ("decision", "reason")],
                                []),
    "clients.import_upload": (lambda w: "/clients/import", [], ["file"]),
    "imports.confirm": (lambda w: f"/imports/{w['import_check_id']}/import", [], []),
    "scheduling.book": (lambda w: "/appointments/new", BOOKING_FIELDS, []),
    "scheduling.check_in": (lambda w: f"/appointments/{w['appointment_id']}/check-in", ["arrived", "arrived_fold", "next"], []),
    "scheduling.no_show": (lambda w: f"/appointments/{w['appointment_id']}/no-show", ["next", "fee", "fee_cents"], []),
    "scheduling.complete": (lambda w: f"/appointments/{w['appointment_id']}/complete", ["next"], []),
    "scheduling.cancel": (lambda w: f"/appointments/{w['appointment_id']}/cancel", ["reason", "other", "next", "fee", "fee_cents"], []),
    "scheduling.waive": (lambda w: f"/appointments/{w['appointment_id']}/waive", ["reason", "next"], []),
    "scheduling.undo": (lambda w: f"/appointments/{w['appointment_id']}/undo", ["reason", "next"], []),
    "scheduling.payment": (lambda w: f"/appointments/{w['appointment_id']}/payment", ["amount", "method", "next"], []),
    "scheduling.reschedule": (lambda w: f"/appointments/{w['appointment_id']}/reschedule", ["day", "start", "start_fold", "next"], []),
    "scheduling_settings.index": (lambda w: "/settings/scheduling/", [
        "calendar-save", "calendar-feed_shows_names", "service-name", "service-duration_minutes", "service-price", "service-buffer_after_minutes",
        "service-specialty_ids"], []),
    "scheduling_settings.edit_service": (lambda w: f"/settings/scheduling/services/{w['service_id']}", [
        "service-name", "service-duration_minutes", "service-price", "service-buffer_after_minutes", "service-specialty_ids"], []),
    "scheduling_settings.hours": (lambda w: f"/settings/scheduling/practitioners/{w['practitioner_record_id']}",
                                  ["buffer_minutes", "max_sessions_per_day", "min_notice_hours",
                                   *(f"day{day}-{end}" for day in range(7) for end in ("start", "end"))], []),
    "scheduling_settings.import_calendar": (
        lambda w: f"/settings/scheduling/practitioners/{w['practitioner_record_id']}/calendar", [], ["ics-file"]),
    "scheduling_settings.add_time_off": (
        lambda w: f"/settings/scheduling/practitioners/{w['practitioner_record_id']}/time-off",
        ["off-start_day", "off-start_time", "off-start_time_fold", "off-end_day", "off-end_time",
         "off-end_time_fold", "off-reason"], []),
    "scheduling_settings.remove_time_off": (
        lambda w: f"/settings/scheduling/time-off/{w['time_block_id']}/remove", [], []),
    # The conduct record
    "conduct.new_incident": (lambda w: f"/clients/{w['client_id']}/conduct/incidents/new", INCIDENT_FIELDS, ["attachments"]),
    "conduct.correct": (lambda w: f"/conduct/entries/{w['conduct_entry_id']}/correct",
                        [*INCIDENT_FIELDS, "reason", "withdrawn"], ["attachments"]),
    "conduct.new_communication": (lambda w: f"/clients/{w['client_id']}/communications/new",
                                  ["occurred_at", "occurred_at_fold", "kind", "channel", "summary"], []),
    "conduct.evidence": (lambda w: f"/clients/{w['client_id']}/evidence", ["start", "end"], []),
    "conduct.categories": (lambda w: "/settings/conduct-categories", ["label", "safety"], []),
    "conduct.retire_category": (lambda w: f"/settings/conduct-categories/{w['incident_category_id']}/retire", ["restore"], []),
    "feeds.enable": (lambda w: f"/feeds/enable/{w['practitioner_record_id']}", [], []),
    "feeds.revoke": (lambda w: f"/feeds/revoke/{w['practitioner_record_id']}", [], []),
    # The referral network
    "referrals.new_specialist": (lambda w: "/referrals/specialists/new", REFERRAL_SPECIALIST_FIELDS, []),
    "referrals.edit_specialist": (lambda w: f"/referrals/specialists/{w['specialist_id']}/edit", REFERRAL_SPECIALIST_FIELDS, []),
    "referrals.verify": (lambda w: f"/referrals/specialists/{w['specialist_id']}/verify", ["accepting", "next"], []),
    "referrals.retire": (lambda w: f"/referrals/specialists/{w['specialist_id']}/retire", ["restore"], []),
    "referrals.modalities": (lambda w: "/referrals/modalities", ["name"], []),
    "referrals.retire_modality": (lambda w: f"/referrals/modalities/{w['modality_id']}/retire", ["restore"], []),
    "referrals.import_upload": (lambda w: "/referrals/import", [], ["file"]),
    "referrals.import_confirm": (lambda w: "/referrals/import/confirm", ["content"], []),
    "referrals.refer": (lambda w: "/referrals/refer", ["client_id", "specialist_id", "modality_ids", "need", "follow_up_on"], []),
    "referrals.outcome": (lambda w: f"/referrals/referrals/{w['referral_id']}/outcome", ["outcome", "note", "follow_up_on"], []),
    "referrals.client_source": (lambda w: f"/referrals/clients/{w['client_id']}/source", ["specialist_id", "source"], []),
    "referrals.new_inquiry": (lambda w: "/referrals/inquiries/new", ["name", "phone", "email", "modality_ids", "need",
                                                                     "preferred_times", "area", "practitioner_id"], []),
    "referrals.waitlist": (lambda w: f"/referrals/inquiries/{w['inquiry_id']}/waitlist", [], []),
    "referrals.offer": (lambda w: f"/referrals/inquiries/{w['inquiry_id']}/offer", [], []),
    "referrals.close_inquiry": (lambda w: f"/referrals/inquiries/{w['inquiry_id']}/close", ["outcome", "note"], []),
    "referrals.inquiry_to_client": (lambda w: f"/referrals/inquiries/{w['inquiry_id']}/client", [], []),
    "referrals.capacity": (lambda w: f"/referrals/capacity/{w['practitioner_record_id']}", ["accepting_new_clients", "max_active_clients"], []),
    # Letters
    "letters.compose_letter": (lambda w: f"/letters/new?kind=discontinuation&client_id={w['client_id']}",
                               ["author_id", "channel", "specialist_id", "modality_ids", "need", "follow_up_on",
                                "effective_date", "policy_dates", "breaches", "colleagues", "body", "confirm",
                                "action", "choices", "fact", "incident", "sentence-1", "clause", "colleague",
                                "money", "offer_id"], []),
    "letters.batch": (lambda w: "/letters/batch", ["inquiry_ids", "author_id", "channel", "action", "confirm"], []),
    "letters.settings": (lambda w: "/settings/letters", ["page_size", "how_to_pay"], []),
    "letters.save_text": (lambda w: "/settings/letters/referral", ["referral-text"], []),
    # Background jobs
    "jobs.retry": (lambda w: f"/jobs/{w['failed_job_id']}/retry", ["next"], []),
    "jobs.cancel": (lambda w: f"/jobs/{w['queued_job_id']}/cancel", ["next"], []),
    # Messages
    "messages.cancel": (lambda w: f"/messages/{w['waiting_message_id']}/cancel", ["next"], []),
    "messages.send_again": (lambda w: f"/messages/{w['failed_message_id']}/send-again", ["next"], []),
    "messages.settings": (lambda w: "/settings/messages", ["confirmations", "reminder_hours", "quiet_from", "quiet_until"], []),
    "messages.send_test": (lambda w: "/settings/messages/test", ["to"], []),
    "messages.consent": (lambda w: f"/clients/{w['client_id']}/email-consent", ["consent-confirmations", "consent-reminders"], []),
    "messages_public.acknowledge": (lambda w: f"/acknowledge/{w['acknowledge_token']}", ["version", "agree"], []),
    "messages_public.stop_reminders": (lambda w: f"/unsubscribe/{w['unsubscribe_token']}", ["List-Unsubscribe"], []),
    "policies.ask_to_acknowledge": (lambda w: f"/clients/{w['client_id']}/acknowledgements/ask", [], []),
    # Online booking (pages for clients) and its settings
    "booking.hold": (lambda w: f"/book/{w['online_service_id']}/{w['online_practitioner_id']}/{w['free_minute']}",
                     ["name", "email", "phone", "note", "reminders", "website", "version", "agree"], []),
    "booking.confirm": (lambda w: f"/book/confirm/{w['hold_token']}", [], []),
    "booking.cancel": (lambda w: f"/book/mine/{w['mine_token']}/{w['appointment_uuid']}/cancel", ["quoted"], []),
    "booking.move": (lambda w: f"/book/mine/{w['mine_token']}/{w['appointment_uuid']}/move", ["minute"], []),
    "booking.inquire": (lambda w: "/book/inquire",
                        ["name", "email", "phone", "need", "preferred_times", "area", "website"], []),
    "booking_settings.online_booking": (lambda w: "/settings/online-booking",
                                        ["enabled", "min_notice_hours", "days_ahead", "hold_minutes"], []),
    # Policies
    "policies.manage": (lambda w: "/settings/policy", list(POLICY_FORM), []),
    "policies.file_topics": (lambda w: f"/settings/policy/{current_policy(db.session).id}/topics", ["topic-1", "topic-2"], []),
    "policies.acknowledge": (lambda w: f"/clients/{w['client_id']}/acknowledgements",
                             ["policy_id", "method", "on", "note"], []),
}

JUNK_TEXT = {
    "long": "Ω" + "x" * 100_000,
    "unicode": "Zoë 🙂 \u202eevil\u202c ﷽ e\u0301 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u200b\ufeff",
    "number": "99999999999999999999999",
    "negative": "-1",
    "float": "1e309",
    "whitespace": " \t\r\n \u00a0",
    "markup": "<script>alert(1)</script>\"'&",
    "csv-formula": "=HYPERLINK(\"http://evil.example\")",
    "nul": "Sam\x00; DROP",
}
JUNK_FILES = {
    "long": os.urandom(2 * 1024 * 1024),
    "unicode": "display_name\nZoë 🙂\n".encode("utf-16"),
    "number": b"12345",
    "nul": b"display_name,phone\nSam\x00,07911 123456\n",
}
JUNK_KINDS = ["long", "unicode", "number", "negative", "float", "whitespace", "markup",
              "csv-formula", "missing", "repeated", "bad-encoding"]


def junk_request(kind: str, fields: list[str], files: list[str]) -> dict:
    """Arguments for client.post() that fill every field with one kind of junk."""
    if kind == "missing":
        return {"data": {}}
    if kind == "bad-encoding":
        body = "&".join(f"{name}=%FF%FE%C3%28%ED%A0%80" for name in fields) or "x=%FF"
        return {"data": body, "content_type": "application/x-www-form-urlencoded"}
    if kind == "repeated":
        data = {name: ["first", "second"] for name in fields}
        data.update({name: [(io.BytesIO(b"a"), "a.csv"), (io.BytesIO(b"b"), "b.csv")] for name in files})
        return {"data": data}
    data = {name: JUNK_TEXT[kind] for name in fields}
    for name in files:
        data[name] = (io.BytesIO(JUNK_FILES.get(kind, JUNK_TEXT[kind].encode())), JUNK_TEXT["unicode"] + ".png")
    return {"data": data}


@pytest.fixture
def targets(app, users, make_client, make_user):
    return build_targets(app, users, make_client, make_user)


def build_targets(app, users, make_client, make_user) -> dict:
    """Real objects the junk forms' URLs and fields refer to."""
    from tests.test_access import referral_world
    invited = make_user("front_desk", password=None)
    sam = make_client("Sam", phone="07911 123456")
    practitioner = users["practitioner"].practitioner
    appointment = booked_appointment(practitioner, sam)
    return {
        "practitioner_id": users["practitioner"].id,
        "front_desk_id": users["front_desk"].id,
        "client_id": sam.id,
        "invite_token": auth_services.invitation_token(invited, app.secret_key),
        "practitioner_record_id": practitioner.id,
        "service_id": appointment.service_id,
        "appointment_id": appointment.id,
        "appointment_uuid": appointment.uuid,
        "time_block_id": time_off(practitioner).id,
        **referral_world(sam),
        **conduct_world(sam),
        **letters_world(sam, practitioner),
        **care_world(sam, practitioner, users["admin"].practitioner, make_user, make_client),
        **imports_world(users["practitioner"]),
        **jobs_world(sam, users["practitioner"]),
        **messages_world(app, sam),
        **online_world(appointment),
    }


@pytest.fixture
def server_errors(app):
    with noting_server_errors(app) as seen:
        yield seen


@contextmanager
def noting_server_errors(app):
    """Let errors become 500 pages (as in production) and note each one's exception."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen = []

    def note(sender, exception, **extra):
        seen.append(f"{type(exception).__name__}: {str(exception).splitlines()[0][:160]}")

    got_request_exception.connect(note, app)
    try:
        yield seen
    finally:
        got_request_exception.disconnect(note, app)


@pytest.fixture(scope="module")
def built_targets(databases, tmp_path_factory):
    """The targets with an account of every role, built once per test process for the
    hundreds of junk posts below; each gets a copy."""
    def build(app, users, make_user):
        return build_targets(app, users, make_client_record, make_user)

    snapshot = build_snapshot(databases, tmp_path_factory.mktemp("junk-targets"), build)
    yield snapshot
    databases.drop(snapshot.url)


@dataclass
class Copy:
    app: Flask
    targets: dict
    admin: User
    server_errors: list


@pytest.fixture
def on_a_copy(built_targets, databases, tmp_path):
    """The app on a copy of the built targets, noting server errors."""
    with app_on_a_copy(databases, built_targets, tmp_path) as app, noting_server_errors(app) as seen:
        admin = db.session.get(User, built_targets.user_ids["admin"])
        yield Copy(app, built_targets.made, admin, seen)


def test_every_post_route_has_a_junk_form(app):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posts == set(POST_FORMS), "add new POST routes to POST_FORMS"


def _post_junk(app, url, kinds, fields, files, server_errors, sign_in=None):
    failures = []
    for kind in kinds:
        client = app.test_client()
        if sign_in:
            assert client.post("/login", data={"email": sign_in.email, "password": PASSWORD}).status_code == 302
        server_errors.clear()
        response = client.post(url, **junk_request(kind, fields, files))
        if response.status_code >= 500:
            failures.append((kind, response.status_code, list(server_errors)))
    return failures


@pytest.mark.parametrize("endpoint", sorted(POST_FORMS))
def test_junk_posted_by_an_admin_never_causes_a_server_error(on_a_copy, endpoint):
    build, fields, files = POST_FORMS[endpoint]
    targets = on_a_copy.targets
    fields = fields(targets) if callable(fields) else fields
    failures = _post_junk(on_a_copy.app, build(targets), JUNK_KINDS, fields, files, on_a_copy.server_errors,
                          on_a_copy.admin)
    assert not failures


@pytest.mark.parametrize("endpoint", ["auth.login", "auth.second_factor", "auth.accept_invitation",
                                      "messages_public.acknowledge", "messages_public.stop_reminders",
                                      "booking.hold", "booking.confirm", "booking.cancel", "booking.move",
                                      "booking.inquire"])
def test_junk_posted_by_a_visitor_never_causes_a_server_error(on_a_copy, endpoint):
    build, fields, files = POST_FORMS[endpoint]
    assert not _post_junk(on_a_copy.app, build(on_a_copy.targets), JUNK_KINDS, fields, files,
                          on_a_copy.server_errors)


def test_junk_posted_to_setup_never_causes_a_server_error(app, server_errors):
    _, fields, files = POST_FORMS["auth.setup"]
    assert not _post_junk(app, "/setup", JUNK_KINDS, fields, files, server_errors)
    assert count(User) == 0


# NUL characters: PostgreSQL refuses them in text, so they must never reach it.
# Otherwise valid forms with a NUL in one text field, so that only the NUL can go wrong.
NUL_FORMS = {
    "auth.users": {"name": "Noor\x00Hassan", "email": "noor@harbour.example", "role": "front_desk"},
    "auth.edit_user": {"name": "Priya\x00", "role": "practitioner", "credentials": "RMT"},
    "auth.accept_invitation": {"password": "a passphrase\x00!", "confirm": "a passphrase\x00!"},
    "settings.index": DETAILS | {"address": "12 Harbour\x00 Street"},
    "clients.new": {"display_name": "Sam\x00"},
    "clients.edit": {"display_name": "Sam", "referral_source": "Dr\x00Ahmed"},
    "clients.import_upload": {"file": (io.BytesIO(b"display_name,phone\nSam\x00,07400 123456\n"), "c.csv")},
    "scheduling.book": lambda t: {"client_id": t["client_id"], "practitioner_id": t["practitioner_record_id"],
                                  "service_id": t["service_id"], "day": "2026-11-30", "start": "14:00",
                                  "notes": "Left\x00shoulder"},
    "scheduling.cancel": {"reason": "Unwell\x00"},
    "policies.manage": POLICY_FORM | {"clause_topic": "conduct", "clause_text": "Be\x00 kind"},
    "policies.acknowledge": lambda t: {"policy_id": current_policy(db.session).id, "method": "verbally",
                                       "on": "2026-11-23", "note": "Signed\x00 form in the file"},
    "conduct.new_incident": lambda t: {"category_id": t["incident_category_id"], "severity": "low",
                                       "occurred_from": "2026-11-22T10:00", "channel": "text",
                                       "description": "Texted\x00 again", "location": "\x00"},
    "conduct.correct": lambda t: {"category_id": t["incident_category_id"], "severity": "low",
                                  "occurred_from": "2026-11-22T10:00", "channel": "text",
                                  "description": "Texted", "reason": "Wrong\x00 day"},
    "conduct.new_communication": {"occurred_at": "2026-11-22T10:00", "kind": "warning", "channel": "phone",
                                  "summary": "Said\x00 so"},
    "conduct.categories": {"label": "Films\x00 me"},
    "scheduling_settings.index": {"service-name": "Hot\x00stones", "service-duration_minutes": "60",
                                  "service-price": "50.00"},
    "scheduling_settings.hours": {"day0-start": "09:00\x00", "day0-end": "13:00", "buffer_minutes": "5"},
    "scheduling_settings.add_time_off": {"off-start_day": "2026-12-03", "off-start_time": "09:00",
                                         "off-end_day": "2026-12-03", "off-end_time": "12:00",
                                         "off-reason": "Dentist\x00"},
    "scheduling_settings.import_calendar": lambda t: {"ics-file": (io.BytesIO(
        BUSY_ICS.replace(b"UID:dentist-1", b"UID:dentist\x00-1")), "personal.ics")},
    "letters.compose_letter": lambda t: {"author_id": t["practitioner_record_id"], "channel": "post",
                                         "effective_date": "2026-11-23", "action": "issue", "confirm": "y",
                                         "body": "Dear Sam,\x00\n\nFrom 23 November\x00."},
    "letters.save_text": {"referral-text": "Dear {client_name}\x00 {specialist_name} {specialist_contact}"},
    "scheduling.waive": {"reason": "First\x00time"},
    "scheduling.undo": {"reason": "Arrived\x00 after all"},
    "scheduling.payment": {"amount": "60\x00", "method": "card"},
    "scheduling.check_in": {"arrived": "10:05\x00"},
    "scheduling.reschedule": {"day": "2026-11-30", "start": "15:00\x00"},
    "clients.grant_access": lambda t: {"access-practitioner_id": t["colleague_id"], "access-reason": "Covering\x00 a week"},
    "clients.decide_identity": lambda t: {f"identity{t['blocked_client_id']}-decision": "different",
                                          f"identity{t['blocked_client_id']}-reason": "Another\x00 person"},
}

@pytest.mark.parametrize("endpoint", sorted(POST_FORMS))
def test_nul_characters_posted_by_an_admin_never_cause_a_server_error(on_a_copy, endpoint):
    build, fields, files = POST_FORMS[endpoint]
    targets, server_errors = on_a_copy.targets, on_a_copy.server_errors
    fields = fields(targets) if callable(fields) else fields
    url = build(targets)
    failures = _post_junk(on_a_copy.app, url, ["nul"], fields, files, server_errors, on_a_copy.admin)
    if endpoint == "scheduling.waive":  # a fee to waive, so the reason is saved
        db.session.get(Appointment, targets["appointment_id"]).fee_cents = 3000
        db.session.commit()
    if endpoint in NUL_FORMS:
        client = on_a_copy.app.test_client()
        client.post("/login", data={"email": on_a_copy.admin.email, "password": PASSWORD})
        server_errors.clear()
        data = NUL_FORMS[endpoint]
        response = client.post(url, data=data(targets) if callable(data) else data)
        if response.status_code >= 500:
            failures.append(("nul in a valid form", response.status_code, list(server_errors)))
    assert not failures


def test_nul_characters_posted_to_login_never_cause_a_server_error(app, practice, server_errors):
    assert not _post_junk(app, "/login", ["nul"], ["email", "password"], [], server_errors)


def test_nul_characters_posted_to_setup_never_cause_a_server_error(app, server_errors):
    response = app.test_client().post("/setup", data=SETUP | {"name": "Harbour\x00 Street"})
    assert response.status_code < 500, server_errors


@pytest.mark.parametrize("path", ["/clients/?q=Sam%00", "/audit/?action=client.create%00",
                                  "/referrals/?area=Bristol%00", "/referrals/?q=%00"])
def test_nul_characters_in_a_search_never_cause_a_server_error(client, users, login, server_errors, path):
    login(users["admin"])
    assert client.get(path).status_code < 500, server_errors


# Numbers out of the database's range ----------------------------------------------------

HUGE = "99999999999999999999"


def _id_routes(app):
    """(method, rule) of every route with an <int:...> part."""
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if "<int:" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


@pytest.mark.parametrize("number", ["0", "2147483647", "2147483648", HUGE])
def test_an_id_out_of_range_is_not_found(app, client, users, login, server_errors, number):
    login(users["admin"])
    routes = _id_routes(app)
    assert routes
    failures = []
    for method, rule in routes:
        path = re.sub(r"<int:\w+>", number, rule)
        path = re.sub(r"<[^>]+>", "x", path)
        server_errors.clear()
        response = client.open(path, method=method, data={"active": "0", "name": "x", "role": "admin"})
        if response.status_code != 404:
            failures.append((method, path, response.status_code, list(server_errors)))
    assert not failures


@pytest.mark.parametrize("path", [f"/clients/?page={HUGE}", f"/audit/?page={HUGE}"])
def test_a_page_number_out_of_range_is_not_a_server_error(client, users, login, server_errors, path):
    login(users["admin"])
    assert client.get(path).status_code < 500, server_errors


@pytest.mark.parametrize("path", ["/clients/?page=-3", "/clients/?page=abc", "/audit/?page=0",
                                  "/clients/?q=" + "x" * 5000, "/clients/?q=%25_%5C", "/audit/?action=nope",
                                  # Reports: an odd practitioner choice falls back to the default.
                                  "/reports/?practitioner=", "/reports/?start=&end="])
def test_odd_query_strings_are_not_server_errors(client, users, login, server_errors, path):
    login(users["admin"])
    assert client.get(path).status_code == 200, server_errors


# Dates out of range and ids that cannot exist: a 4xx that says so ----------------------------

@pytest.mark.parametrize("path, status, message", [
    ("/calendar?date=9999-12-31", 400, "Choose a date from 1900 to 2199."),
    ("/today?date=0001-01-01", 400, "Choose a date from 1900 to 2199."),
    ("/calendar?date=next-tuesday", 400, "Write the date as YYYY-MM-DD"),
    ("/calendar?practitioner=9223372036854775808", 404, "does not exist"),
    ("/calendar?practitioner=-1", 404, "does not exist"),
])
def test_a_date_or_id_that_cannot_be_is_refused_with_a_message(client, users, login, server_errors,
                                                                path, status, message):
    login(users["admin"])
    response = client.get(path)
    assert response.status_code == status, server_errors
    assert message in response.get_data(as_text=True)


def test_an_empty_date_or_practitioner_shows_today_for_everyone(client, users, login):
    login(users["admin"])
    assert client.get("/calendar?date=&practitioner=").status_code == 200


def test_booking_with_a_practitioner_that_is_not_offered_says_so(client, users, login, targets, server_errors):
    login(users["admin"])
    for practitioner_id in ("-1", "2147483648", "9223372036854775808"):
        data = {"client_id": targets["client_id"], "practitioner_id": practitioner_id,
                "service_id": targets["service_id"], "day": "2026-11-30", "start": "14:00"}
        response = client.post("/appointments/new", data=data)
        assert response.status_code == 422, server_errors
        assert error_for(response.get_data(as_text=True), "practitioner_id") == "Not a valid choice."
        shown = client.get("/appointments/new", query_string=data)
        assert shown.status_code == 200, server_errors


@pytest.mark.parametrize("url, data, field", [
    ("/clients/new", {"display_name": "Old Sam", "date_of_birth": "0001-01-01"}, "date_of_birth"),
    ("/appointments/new", {"day": "9999-12-31", "start": "10:00"}, "day"),
])
def test_a_typed_date_outside_the_range_is_refused_next_to_the_field(client, users, login, url, data, field):
    login(users["admin"])
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert error_for(page, field) == "Choose a date from 1900 to 2199."
    assert field_values(page)[field] == data[field]  # what was typed stays


def test_the_review_refuses_a_day_out_of_range_as_not_found(client, users, login, server_errors):
    login(users["admin"])
    practitioner_id = users["practitioner"].practitioner.id
    for day in ("0001-01-01", "9999-12-31", "not a day"):
        response = client.post("/review/reviewed", data={"practitioner_id": practitioner_id, "day": day})
        assert response.status_code == 404, server_errors


def test_an_imported_birth_date_out_of_range_names_its_row(client, users, login):
    login(users["admin"])
    response = _upload_csv(client, "display_name,date_of_birth\nOld Sam,0001-01-01\n")
    assert "date_of_birth: write dates as YYYY-MM-DD. Choose a date from 1900 to 2199." in response.get_data(as_text=True)
    assert _import_button(response.get_data(as_text=True)) is None
    assert count(Client) == 0


def test_a_form_cannot_use_a_date_field_without_the_range(app):
    from wtforms import DateField

    from practice.forms import Form

    class Unbounded(Form):
        day = DateField()

    with pytest.raises(TypeError, match="supported range"):
        Unbounded(meta={"csrf": False})


# Where to go next: only ever a page of this site ------------------------------------------

NEXT_TARGETS = [
    "//evil.example/", "https://evil.example/", "/\\evil.example/", "\\\\evil.example/",
    "javascript:alert(1)", " //evil.example/", "/%2F/evil.example/",
    pytest.param("/\t/evil.example/", id="tab"),
    pytest.param("/\n/evil.example/", id="newline"),
    pytest.param("/\r/evil.example/", id="carriage-return"),
]


def _stays_on_site(response) -> bool:
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    return (response.status_code == 302 and not parts.scheme and not parts.netloc
            and location.startswith("/") and not location.startswith("//") and "\\" not in location)


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_sign_in_only_sends_users_on_to_this_site(client, practice, server_errors, target):
    response = client.post("/login", query_string={"next": target},
                           data={"email": practice.email, "password": PASSWORD})
    assert _stays_on_site(response), (response.status_code, response.headers.get("Location"), server_errors)


@pytest.mark.parametrize("target", NEXT_TARGETS)
def test_appointment_actions_only_send_users_back_to_this_site(client, users, login, targets, server_errors, target):
    login(users["front_desk"])
    response = client.post(f"/appointments/{targets['appointment_id']}/no-show", data={"next": target})
    assert _stays_on_site(response), (response.status_code, response.headers.get("Location"), server_errors)


@pytest.mark.parametrize("look_up", BOOKING_LOOK_UPS)
def test_junk_in_a_booking_look_up_never_causes_a_server_error(on_a_copy, look_up):
    fields = BOOKING_FIELDS + [look_up]
    assert not _post_junk(on_a_copy.app, "/appointments/new", JUNK_KINDS, fields, [], on_a_copy.server_errors,
                          on_a_copy.admin)


@pytest.mark.parametrize("changes, field, message", [
    ({"client_id": "99999"}, "client_id", "There is no such client."),
    ({"client_id": "x"}, "client_id", "There is no such client."),
    ({"client_id": ""}, "client_id", "Choose a client, or add a new one."),
    ({"practitioner_id": "0"}, "practitioner_id", "Choose a practitioner."),
    ({"service_id": "0"}, "service_id", "Choose a service."),
    ({"repeat": "1", "times": "1"}, "times", "Number must be between 2 and 26."),
    ({"repeat": "9"}, "repeat", "Not a valid choice."),
    ({"client_id": "", "new_client_name": "Noor", "new_client_phone": "12"}, "new_client_phone",
     "This is not a valid phone number."),
    ({"client_id": "", "new_client_name": "Noor", "new_client_email": "noor@"}, "new_client_email",
     "This is not a valid e-mail address"),
    ({"new_client_name": "Noor"}, "new_client_name", "Choose a client or add a new one, not both."),
], ids=lambda value: value if isinstance(value, str) else None)
def test_the_booking_form_refuses_bad_input_next_to_the_field(client, users, login, targets, changes, field, message):
    login(users["front_desk"])
    clients = count(Client)
    typed = {"client_id": str(targets["client_id"]), "practitioner_id": str(targets["practitioner_record_id"]),
             "service_id": str(targets["service_id"]), "day": "2026-11-30", "start": "14:00",
             "notes": "left shoulder"} | changes
    response = client.post("/appointments/new", data=typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    shown = error_for(page, field)
    assert shown is not None, f"no message next to {field}; errors: {errors_in(page)} {alerts_in(page)}"
    assert message in shown
    assert_kept(page, typed, skip={"client_id", "practitioner_id", "service_id", "repeat", *changes})
    assert count(Appointment) == 1 and count(Client) == clients  # the world's; nothing new

# ruff: noqa: F811  (fixtures imported from other test modules are used as arguments)
"""Images in evidence: a picture too large to open safely is refused from its header (a
"decompression bomb"), and the evidence report prints pictures from copies scaled to the
size they are shown at, made once and kept, saying that they are copies of the hashed file."""

import io
import struct
import subprocess
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image

from practice.conduct.attachments import Upload
from practice.conduct.models import PrintCopy
from practice.conduct.pictures import PRINT_BOX, make_print_copies
from practice.db import db
from practice.errors import DomainError
from practice.uploads import MAX_IMAGE_PIXELS, image_facts, scaled_copy
from tests.test_bad_input import error_for
from tests.test_conduct_pages import form, make_report, needs_poppler, record, robin  # noqa: F401 (a fixture)
from tests.test_letters import pdf_text


def image(size, fmt="PNG", mode="L") -> bytes:
    out = io.BytesIO()
    picture = Image.new(mode, size, 90)
    picture.paste(255, (0, 0, size[0] // 3, size[1] // 3))  # something to see
    picture.save(out, fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims to be width x height: what a decompression bomb looks like
    from its header (the pixels never need to exist for the check to refuse it)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def pdf_image_sizes(pdf: bytes, tmp_path) -> list[tuple[int, int]]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return [(int(line.split()[3]), int(line.split()[4])) for line in listing.splitlines()[2:]]


# Too many pixels ---------------------------------------------------------------------------

@pytest.mark.parametrize("width, height, size", [
    (9000, 9000, "9,000 × 9,000 pixels"),       # over our limit: refused by its header
    (100_000, 100_000, "more than 100 megapixels"),  # over Pillow's own too
])
def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(width, height, size):
    with pytest.raises(DomainError) as refused:
        image_facts(png_header_only(width, height), name="bomb.png", field="attachments")
    assert refused.value.field == "attachments"
    assert refused.value.message == (
        f"bomb.png is too large to open safely ({size}); pictures of up to 50 megapixels can be kept.")
    assert Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS  # every other decode in the process refuses it too
    assert Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS  # every other decode refuses it too


def test_a_bomb_attached_to_an_incident_is_refused_next_to_the_field(client, users, login, robin):
    login(users["practitioner"])
    response = client.post(f"/clients/{robin.id}/conduct/incidents/new", data=form(
        attachments=[(io.BytesIO(png_header_only(30_000, 30_000)), "screenshot.png")]))
    assert response.status_code == 422
    assert error_for(response.get_data(as_text=True), "attachments") == (
        "screenshot.png is too large to open safely (more than 100 megapixels); pictures of up to "
        "50 megapixels can be kept.")


def test_a_bomb_as_the_logo_is_refused_next_to_the_field(client, users, login):
    login(users["admin"])
    response = client.post("/settings/logo", data={"logo-logo": (io.BytesIO(png_header_only(9000, 9000)), "logo.png")},
                           follow_redirects=True)
    assert "The logo is too large to open safely (9,000 × 9,000 pixels)" in response.get_data(as_text=True)


# Scaled copies ------------------------------------------------------------------------------

def test_a_copy_fits_the_print_box_and_keeps_the_kind_of_picture():
    screenshot = scaled_copy(image((6000, 6000)), PRINT_BOX)
    assert (screenshot.media_type, screenshot.original_width, screenshot.original_height) == ("image/png", 6000, 6000)
    assert screenshot.width <= PRINT_BOX[0] and screenshot.height <= PRINT_BOX[1]
    assert max(screenshot.width / PRINT_BOX[0], screenshot.height / PRINT_BOX[1]) == pytest.approx(1, abs=0.01)
    photo = scaled_copy(image((4000, 3000), "JPEG", "RGB"), PRINT_BOX)
    assert photo.media_type == "image/jpeg" and photo.width == PRINT_BOX[0]
    small = scaled_copy(image((40, 30)), PRINT_BOX)
    assert (small.width, small.height) == (40, 30)  # never enlarged


@needs_poppler
def test_the_evidence_report_prints_a_large_picture_from_its_scaled_copy(client, users, login, robin, tmp_path):
    big = image((6000, 6000))
    record(robin, "Sent a screenshot of my house.", files=[Upload("house.png", big)])
    login(users["practitioner"])

    _, pdf = make_report(client, robin)

    ((width, height),) = pdf_image_sizes(pdf, tmp_path)
    assert width <= PRINT_BOX[0] and height <= PRINT_BOX[1]
    text = pdf_text(pdf)
    assert f"Shown: a copy scaled to {width} × {height} pixels for printing" in text
    assert "The file itself (6000 × 6000 pixels) is the evidence; its SHA-256 is above." in text

    # Made once and kept: the next report makes none.
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrintCopy)) == 1
    assert make_print_copies(db.session, robin.id) == 0
    make_report(client, robin)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrintCopy)) == 1

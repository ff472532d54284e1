"""A letter's page: plain paragraphs to HTML (escaped by the template) and to a tagged PDF
through practice.pdf, the one renderer with its restrictive URL fetcher."""

import base64
from dataclasses import dataclass, field
from datetime import date

from flask import render_template

from practice.letters.models import KINDS
from practice.pdf import render_pdf


@dataclass(frozen=True)
class Block:
    """A paragraph (its lines) or a list (its items)."""

    lines: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


def blocks(body: str) -> list[Block]:
    """Paragraphs are separated by blank lines; a paragraph whose every line starts with
    "- " is a list."""
    found = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        lines = [line.rstrip() for line in chunk.strip("\n").split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.lstrip().startswith("- ") for line in lines):
            found.append(Block(items=tuple(line.lstrip()[2:].strip() for line in lines)))
        else:
            found.append(Block(lines=tuple(lines)))
    return found


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass
class LetterPage:
    """Everything the letter template shows, already worked out."""

    kind: str
    title: str
    day: date
    body: str
    recipient_lines: list[str]
    author_name: str
    author_credentials: str = ""
    page_size: str = "A4"
    practice_lines: list[str] = field(default_factory=list)
    logo_uri: str | None = None

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    @property
    def date_text(self) -> str:
        return long_date(self.day)

    @property
    def blocks(self) -> list[Block]:
        return blocks(self.body)


def logo_uri(profile) -> str | None:
    if not profile.logo or not profile.logo_media_type:
        return None
    return f"data:{profile.logo_media_type};base64,{base64.b64encode(profile.logo).decode()}"


def practice_lines(profile) -> list[str]:
    """The letterhead's address and contact lines."""
    lines = [line.strip() for line in (profile.address or "").splitlines() if line.strip()]
    from practice.clients.services import display_phone

    lines += [part for part in (display_phone(profile.phone) if profile.phone else "", profile.email,
                                profile.website) if part]
    return lines


def letter_html(page: LetterPage, profile) -> str:
    return render_template("letters/letter.html", letter=page, profile=profile)


def letter_css(page_size: str) -> str:
    return render_template("letters/letter.css", page_size=page_size)


def render_letter(page: LetterPage, profile, *, fetcher=None) -> bytes:
    return render_pdf(letter_html(page, profile), css=letter_css(page.page_size), fetcher=fetcher)

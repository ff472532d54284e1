"""vCard (RFC 6350) for the directory: write one card or many, read cards back.

Text values escape backslash, comma, semicolon and newline (section 3.4); lines are folded
at 75 octets without splitting a UTF-8 character (section 3.2); the file is UTF-8 with
CRLF line ends. Reading accepts what phones and mail programs export (vCard 3.0 and 4.0,
grouped properties like `item1.TEL`, TYPE parameters) and our own X-PRACTICE-* fields,
so a directory exported here comes back whole."""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from referrals.models import Specialist

PRODID = "-//practice//referral network//EN"
MAX_LINE_OCTETS = 75
_SPECIAL = re.compile(r"[\\,;\r\n]")
CARDS_A_PIECE = 100  # an export sends its cards in pieces of this many


# Writing -----------------------------------------------------------------------------------

def escape(text: str) -> str:
    if not _SPECIAL.search(text):  # most values: nothing to escape
        return text
    return (text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))


def fold(line: str) -> bytes:
    """One content line as bytes, folded so no physical line exceeds 75 octets (a
    continuation line starts with one space, so it holds 74 more), never inside a UTF-8
    character. Most lines are short: encoded once and returned."""
    data = line.encode("utf-8")
    pieces, start, room = [], 0, MAX_LINE_OCTETS
    while len(data) - start > room:
        end = start + room
        while data[end] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            end -= 1
        pieces.append(data[start:end])
        start, room = end, MAX_LINE_OCTETS - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces) + b"\r\n"


def card_bytes(lines: list[str]) -> bytes:
    """One card's lines as bytes, each folded: encoded at once when no line needs folding."""
    text = "\r\n".join(lines)
    if text.isascii() and max(map(len, lines)) <= MAX_LINE_OCTETS:
        return text.encode() + b"\r\n"
    return b"".join(fold(line) for line in lines)


def _name_parts(name: str) -> str:
    """N: family;given;;; (the last word as family name: a guess address books need)."""
    words = name.split()
    if len(words) < 2:
        return f"{escape(name)};;;;"
    return f"{escape(words[-1])};{escape(' '.join(words[:-1]))};;;"


def card_lines(specialist: Specialist, modality_names: list[str]) -> list[str]:
    """One entry's card (the entry: a Specialist or a row of its columns)."""
    lines = [
        "BEGIN:VCARD", "VERSION:4.0", f"PRODID:{PRODID}",
        f"UID:urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'practice-specialist:{specialist.id}')}",
        f"FN:{escape(specialist.name)}", f"N:{_name_parts(specialist.name)}", "KIND:individual",
    ]
    optional = [
        ("ORG", specialist.business), ("TITLE", specialist.profession),
        ("EMAIL", specialist.email), ("URL", specialist.website), ("NOTE", specialist.notes),
        ("X-PRACTICE-AREA", specialist.area), ("X-PRACTICE-LANGUAGES", specialist.languages),
        ("X-PRACTICE-ACCESSIBILITY", specialist.accessibility), ("X-PRACTICE-FEES", specialist.fees),
    ]
    lines += [f"{name}:{escape(value)}" for name, value in optional if value]
    if specialist.phone:
        uri = f"tel:{specialist.phone}" if specialist.phone.startswith("+") else specialist.phone
        lines.append(f"TEL;VALUE=uri;TYPE=work,voice:{escape(uri)}")
    if specialist.address or specialist.area:
        lines.append(f"ADR;TYPE=work:;;{escape(specialist.address)};{escape(specialist.area)};;;")
    if modality_names:
        lines.append("CATEGORIES:" + ",".join(escape(name) for name in modality_names))
    lines.append(f"X-PRACTICE-ACCEPTING:{specialist.accepting}")
    if specialist.verified_on:
        lines.append(f"X-PRACTICE-VERIFIED:{specialist.verified_on.isoformat()}")
    lines.append("END:VCARD")
    return lines


def export_vcards(specialists) -> bytes:
    """The cards of these specialists (with their modalities loaded), as one file."""
    return b"".join(stream_vcards((s, [m.name for m in s.modalities]) for s in specialists))


def stream_vcards(entries) -> Iterator[bytes]:
    """The cards a piece at a time, from (entry, names of its modalities) pairs
    (queries.specialists_for_export): CARDS_A_PIECE cards a piece."""
    cards = []
    for entry, names in entries:
        cards.append(card_bytes(card_lines(entry, names)))
        if len(cards) == CARDS_A_PIECE:
            yield b"".join(cards)
            cards.clear()
    yield b"".join(cards)


# Reading -----------------------------------------------------------------------------------

@dataclass
class Card:
    """One card as read: property name -> list of (parameters, raw value)."""

    line: int
    properties: dict[str, list[tuple[dict, str]]] = field(default_factory=dict)

    def first(self, name: str) -> str:
        values = self.properties.get(name)
        return values[0][1] if values else ""


def unfold(text: str) -> list[tuple[int, str]]:
    """Logical lines with the physical line number each starts on."""
    logical: list[tuple[int, str]] = []
    for number, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        if line[:1] in (" ", "\t") and logical:
            start, previous = logical[-1]
            logical[-1] = (start, previous + line[1:])
        elif line.strip():
            logical.append((number, line))
    return logical


def split_unescaped(value: str, separator: str) -> list[str]:
    parts, current, chars = [], [], iter(value)
    for char in chars:
        if char == "\\":
            current.append(char + next(chars, ""))
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append("\n" if following in ("n", "N") else following)
        else:
            out.append(char)
    return "".join(out)


def _parse_line(line: str) -> tuple[str, dict, str] | None:
    quoted, colon = False, -1
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            colon = index
            break
    if colon < 0:
        return None
    head, value = line[:colon], line[colon + 1:]
    name, *raw_params = head.split(";")
    params = {}
    for raw in raw_params:
        key, _, param_value = raw.partition("=")
        params[key.upper()] = param_value.strip('"')
    return name.split(".")[-1].upper(), params, value


def read_cards(text: str) -> tuple[list[Card], list[str]]:
    """Every card in the text, and problems with the file's structure."""
    cards, problems, current = [], [], None
    for number, line in unfold(text):
        parsed = _parse_line(line)
        if parsed is None:
            problems.append(f"Line {number} is not a vCard property.")
            continue
        name, params, value = parsed
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            if current is not None:
                problems.append(f"The card starting on line {current.line} has no END:VCARD.")
            current = Card(number)
        elif name == "END" and value.strip().upper() == "VCARD":
            if current is None:
                problems.append(f"Line {number} ends a card that never began.")
            else:
                cards.append(current)
            current = None
        elif current is None:
            problems.append(f"Line {number} is outside any BEGIN:VCARD ... END:VCARD.")
        else:
            current.properties.setdefault(name, []).append((params, value))
    if current is not None:
        problems.append(f"The card starting on line {current.line} has no END:VCARD.")
    return cards, problems


def card_values(card: Card) -> dict[str, str]:
    """A card as the directory's import columns (see csv_io.COLUMNS)."""
    name = unescape(card.first("FN"))
    if not name and card.first("N"):
        family, given, *_ = [*split_unescaped(card.first("N"), ";"), "", ""]
        name = " ".join(part for part in (unescape(given), unescape(family)) if part)
    street = area = ""
    if card.first("ADR"):
        parts = [unescape(part) for part in split_unescaped(card.first("ADR"), ";")] + [""] * 7
        street, area = parts[2], parts[3]
    phone = unescape(card.first("TEL"))
    categories = [unescape(c).strip() for c in split_unescaped(card.first("CATEGORIES"), ",")]
    accepting = unescape(card.first("X-PRACTICE-ACCEPTING"))
    return {
        "name": name,
        "business": unescape(split_unescaped(card.first("ORG"), ";")[0]),
        "profession": unescape(card.first("TITLE")),
        "modalities": "; ".join(c for c in categories if c),
        "phone": phone.removeprefix("tel:"),
        "email": unescape(card.first("EMAIL")),
        "website": unescape(card.first("URL")),
        "address": street,
        "area": unescape(card.first("X-PRACTICE-AREA")) or area,
        "languages": unescape(card.first("X-PRACTICE-LANGUAGES")),
        "accessibility": unescape(card.first("X-PRACTICE-ACCESSIBILITY")),
        "fees": unescape(card.first("X-PRACTICE-FEES")),
        "accepting": accepting,
        "notes": unescape(card.first("NOTE")),
        "verified_on": unescape(card.first("X-PRACTICE-VERIFIED")),
    }

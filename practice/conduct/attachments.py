"""Evidence files: what an attachment really is, judged by its content, never by its name."""

import hashlib
from dataclasses import dataclass
from email.parser import BytesHeaderParser

from practice.errors import DomainError
from practice.uploads import image_facts

FIELD = "attachments"
MAX_FILES = 10
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
ALLOWED = "PNG, JPEG, GIF or WebP images, PDF documents, plain text or saved e-mails (.eml)"
# Control characters that do not occur in a real text file or e-mail.
_BINARY = bytes(set(range(32)) - {9, 10, 12, 13})


@dataclass(frozen=True)
class Upload:
    """A file as received: its name as given and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    media_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_uploads(uploads: list[Upload], max_bytes: int) -> list[CheckedFile]:
    if len(uploads) > MAX_FILES:
        raise DomainError(f"Attach at most {MAX_FILES} files to one entry.", field=FIELD)
    return [check_upload(upload, max_bytes) for upload in uploads]


def check_upload(upload: Upload, max_bytes: int) -> CheckedFile:
    name = safe_filename(upload.filename)
    if not upload.data:
        raise DomainError(f"{name} is empty.", field=FIELD)
    if len(upload.data) > max_bytes:
        raise DomainError(
            f"{name} is too large ({_megabytes(len(upload.data))}); the limit is "
            f"{_megabytes(max_bytes)} a file.", field=FIELD)
    media_type = media_type_of(upload.data, name)
    if media_type is None:
        raise DomainError(f"{name} is not a file type that can be kept: use {ALLOWED}.", field=FIELD)
    return CheckedFile(name, media_type, upload.data)


def media_type_of(data: bytes, name: str) -> str | None:
    """The media type the content shows, or None for anything not allowed (a picture too
    large to open safely is refused with its size)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    image = _image_type(data, name)
    if image:
        return image
    if _looks_like_text(data):
        return "message/rfc822" if _looks_like_email(data) else "text/plain"
    return None


def _image_type(data: bytes, name: str) -> str | None:
    facts = image_facts(data, name=name, field=FIELD)
    return IMAGE_TYPES.get(facts[0]) if facts else None


def _looks_like_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(byte in _BINARY for byte in data[:65536])


def _looks_like_email(data: bytes) -> bool:
    headers = BytesHeaderParser().parsebytes(data[:65536])
    return bool(headers.get("From")) and bool(headers.get("Date") or headers.get("Subject"))


def safe_filename(name: str) -> str:
    """The last part of the name as given, without control characters, at most 200 long."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name[:200] or "attachment"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"

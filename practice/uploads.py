"""Reading what people upload: text files for imports, and images (logos, evidence).

Every check is by content, never by the file's name, and every refusal names the field."""

import io

from PIL import Image, UnidentifiedImageError

from practice.errors import DomainError


def read_text(storage, max_bytes: int, *, kind: str = "CSV", field: str = "file") -> str:
    """The uploaded file as text (UTF-8, or Windows' own encoding as spreadsheets save it)."""
    data = storage.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.", field=field)
    if not data.strip():
        raise DomainError("The file is empty.", field=field)
    if b"\x00" in data:
        raise DomainError(f"This is not a text file. Upload a {kind} file.", field=field)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(f"Save the file as {kind} (UTF-8) and upload it again.", field=field)


def image_facts(data: bytes) -> tuple[str, int, int] | None:
    """(Pillow's format name, width, height) of an intact image, or None for anything else.
    `verify` reads the whole file, so a truncated or doctored image is refused too."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return kind, width, height

"""Reading what people upload: text files for imports, and images (logos, evidence).

Every check is by content, never by the file's name, and every refusal names the field.

An image is measured before it is decoded: a small file can unpack to gigabytes (a
"decompression bomb"), so one with more than MAX_IMAGE_PIXELS is refused from its header.
The same limit is Pillow's own for the whole process, so every other decode (the PDF
renderer's too) refuses such a file as well."""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from practice.errors import DomainError

MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel photo, more than any phone takes
# Pillow warns above this and refuses above twice it; the checks below refuse above it.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


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


def image_facts(data: bytes, *, name: str = "The picture", field: str | None = None
                ) -> tuple[str, int, int] | None:
    """(Pillow's format name, width, height) of an intact image, or None for anything else.
    Too many pixels is refused (for `field`) before anything is decoded; `verify` then reads
    the whole file, so a truncated or doctored image is refused too."""
    try:
        with _opened(data, name, field) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    return kind, width, height


def _opened(data: bytes, name: str, field: str | None) -> Image.Image:
    """The image with only its header read, once its size is known to be safe to decode."""
    try:
        with warnings.catch_warnings():  # the size is checked here, with a message
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # Pillow's own limit: twice ours
        raise _too_many_pixels(name, field, f"more than {2 * MAX_IMAGE_PIXELS // 1_000_000} megapixels") from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise _too_many_pixels(name, field, f"{width:,} × {height:,} pixels")
    return image


def _too_many_pixels(name: str, field: str | None, size: str) -> DomainError:
    return DomainError(f"{name} is too large to open safely ({size}); pictures of up to "
                       f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels can be kept.", field=field)


@dataclass(frozen=True)
class ScaledImage:
    media_type: str
    width: int
    height: int
    data: bytes
    original_width: int
    original_height: int


def scaled_copy(data: bytes, box: tuple[int, int]) -> ScaledImage:
    """A copy that fits `box` (width, height in pixels; never enlarged), turned upright as
    the camera meant it, first frame only: JPEG for photos, PNG for the rest (screenshots
    stay sharp)."""
    with _opened(data, "The picture", None) as image:
        photo, original = image.format == "JPEG", image.size
        image.draft("RGB", box)  # JPEG: decode at a fraction of the size straight away
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail(box)
        out = io.BytesIO()
        if photo:
            upright.convert("RGB").save(out, "JPEG", quality=85)
        else:
            keep = upright if upright.mode in ("1", "L", "LA", "RGB", "RGBA", "P") else upright.convert("RGBA")
            keep.save(out, "PNG", optimize=True)
        return ScaledImage("image/jpeg" if photo else "image/png", *upright.size, out.getvalue(), *original)

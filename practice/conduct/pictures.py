"""Pictures in the evidence report, printed from copies scaled to the size they are shown at.

The PDF renderer would otherwise decode and embed every image attachment whole, for every
report: one 6000 × 6000 screenshot adds seconds and hundreds of megabytes. Each image
attachment gets a copy that fits PRINT_BOX_MM at PRINT_DPI, made once, before the first
report that shows it, and kept beside the original (which, with its SHA-256, stays the
evidence)."""

from sqlalchemy import select

from practice.conduct.attachments import IMAGE_TYPES
from practice.conduct.models import Attachment, ConductEntry, PrintCopy
from practice.errors import DomainError
from practice.uploads import scaled_copy

PRINT_DPI = 300
PRINT_BOX_MM = (80, 70)  # templates/practice/pdf/evidence.css: .attachment img max-width, max-height
PRINT_BOX = tuple(round(mm / 25.4 * PRINT_DPI) for mm in PRINT_BOX_MM)
PRINTED = set(IMAGE_TYPES.values())


def make_print_copies(session, client_id: int) -> int:
    """Make the missing print copies of the client's pictures (flushed; the caller commits)
    and say how many. One query, the originals read one at a time; a picture that cannot be
    opened gets no copy, and the report lists the file and its hash without it."""
    missing = session.execute(
        select(Attachment.id, Attachment.data)
        .join(ConductEntry, ConductEntry.id == Attachment.entry_id)
        .outerjoin(PrintCopy, PrintCopy.attachment_id == Attachment.id)
        .where(ConductEntry.client_id == client_id, Attachment.media_type.in_(PRINTED),
               PrintCopy.attachment_id.is_(None)),
        execution_options={"yield_per": 1},
    )
    made = []
    for attachment_id, data in missing:
        try:
            scaled = scaled_copy(data, PRINT_BOX)
        except (DomainError, OSError, ValueError):
            continue
        made.append(PrintCopy(
            attachment_id=attachment_id, media_type=scaled.media_type, width=scaled.width,
            height=scaled.height, original_width=scaled.original_width,
            original_height=scaled.original_height, data=scaled.data))
    session.add_all(made)
    session.flush()
    return len(made)


def print_copies(session, attachments: list[Attachment]) -> dict[int, PrintCopy]:
    """The print copies of these attachments, by attachment id: one query."""
    wanted = [a.id for a in attachments if a.media_type in PRINTED]
    if not wanted:
        return {}
    return {copy.attachment_id: copy for copy in session.scalars(
        select(PrintCopy).where(PrintCopy.attachment_id.in_(wanted)))}

"""Pages of a long list without counting the whole of it: one query reads a page and one row
more, which says whether another page follows. Lists that grow without end (the audit
trail, a long conduct record) page this way; the `pager` macro reads a Window as it reads
Flask-SQLAlchemy's Pagination."""

from dataclasses import dataclass

from practice.db import db


@dataclass
class Window:
    items: list
    page: int
    per_page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def pages(self) -> int:
        """The pages known so far: up to this one, and the next if there is one."""
        return self.page + (1 if self.has_next else 0)

    def iter_pages(self):
        """The first page, the pages around this one, None for a gap."""
        numbers = sorted({1, *range(max(self.page - 2, 1), self.pages + 1)})
        previous = 0
        for number in numbers:
            if number != previous + 1:
                yield None
            yield number
            previous = number


def window(query, *, page: int, per_page: int) -> Window:
    """Page `page` (from 1) of an ordered ORM query."""
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).unique())
    return Window(rows[:per_page], page, per_page, len(rows) > per_page)

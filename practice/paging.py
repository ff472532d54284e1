"""Pages of a long list without counting the whole of it: one query reads a page and one row
more, which says whether another page follows. Lists that grow without end (the audit
trail, a long conduct record) page this way; the `pager` macro reads a Window as it reads
Flask-SQLAlchemy's Pagination."""

from dataclasses import dataclass

from practice.db import db


class Pager:
    """What the `pager` macro reads beside the page's items, given `page` (from 1), `pages`
    and `has_next`: as it reads Flask-SQLAlchemy's Pagination."""

    page: int
    pages: int
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

    def iter_pages(self):
        """The first and last pages, the pages around this one, None for a gap."""
        numbers = sorted({1, self.pages, *range(max(self.page - 2, 1), min(self.page + 2, self.pages) + 1)})
        previous = 0
        for number in numbers:
            if number != previous + 1:
                yield None
            yield number
            previous = number


@dataclass
class Window(Pager):
    items: list
    page: int
    per_page: int
    has_next: bool

    @property
    def pages(self) -> int:
        """The pages known so far: up to this one, and the next if there is one."""
        return self.page + (1 if self.has_next else 0)


def window(query, *, page: int, per_page: int) -> Window:
    """Page `page` (from 1) of an ordered ORM query."""
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).unique())
    return window_of(rows, page=page, per_page=per_page)


def window_of(rows: list, *, page: int, per_page: int) -> Window:
    """Page `page` from its rows read with one more (`per_page + 1` from the page's first),
    for a statement built once with its limit and offset as parameters."""
    return Window(rows[:per_page], page, per_page, len(rows) > per_page)

"""the clients' search text: the database corrects it only where it is not already right, so
a writer that gives it (the CSV import) saves each new row once on SQLite, not twice

Revision ID: 0038
Revises: 0043
Create Date: 2026-11-30 15:05:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0043'
branch_labels = None
depends_on = None

EVENTS = (("insert", "INSERT"), ("update", "UPDATE OF display_name, legal_name, email"))


def search_text(newline: str, row: str = "") -> str:
    """As in 0032: the two names in lower case and the e-mail, a line apart."""
    return f"lower({row}display_name) || {newline} || lower({row}legal_name) || {newline} || {row}email"


def _sqlite_triggers(when: str) -> None:
    for name, event in EVENTS:
        op.execute(f"DROP TRIGGER client_search_text_{name}")
        op.execute(f"CREATE TRIGGER client_search_text_{name} AFTER {event} ON client {when}BEGIN "
                   f"UPDATE client SET search_text = {search_text('char(10)', 'NEW.')} WHERE id = NEW.id; END")


def _postgresql_trigger(when: str) -> None:
    op.execute("DROP TRIGGER client_search_text ON client")
    op.execute(f"CREATE TRIGGER client_search_text BEFORE INSERT OR UPDATE OF display_name, legal_name, email "
               f"ON client FOR EACH ROW {when}EXECUTE FUNCTION client_search_text()")


def upgrade():
    # SQLite's trigger runs after the row is written and writes it again (with its indexes):
    # a row whose search text is already right is left alone. PostgreSQL's sets the value
    # before the row is written, which costs no second write: its function is skipped the same
    # way. Either way the stored text is the database's own, whatever a writer gave.
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_trigger(f"WHEN (NEW.search_text IS DISTINCT FROM {search_text('chr(10)', 'NEW.')}) ")
    else:
        _sqlite_triggers(f"WHEN NEW.search_text IS NOT ({search_text('char(10)', 'NEW.')}) ")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_trigger("")
    else:
        _sqlite_triggers("")

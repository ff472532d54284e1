"""the clients' search text (their names in lower case and e-mail, kept by the database), in
the index of the client list's order

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30 05:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None



def search_text(newline: str, row: str = "") -> str:
    """What practice.clients.queries searches with LIKE '%…%': the two names in lower case and
    the e-mail (stored in normal form), a line apart so a search does not run from one into
    the next (`row`: NEW. in a trigger)."""
    return f"lower({row}display_name) || {newline} || lower({row}legal_name) || {newline} || {row}email"


def upgrade():
    op.add_column('client', sa.Column('search_text', sa.String(length=600), server_default='', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION client_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.search_text := {search_text("chr(10)", "NEW.")};
                RETURN NEW;
            END $$;
            CREATE TRIGGER client_search_text BEFORE INSERT OR UPDATE OF display_name, legal_name, email
                ON client FOR EACH ROW EXECUTE FUNCTION client_search_text();
            """)
        op.execute(f"UPDATE client SET search_text = {search_text('chr(10)')}")
    else:
        for name, event in (("insert", "INSERT"), ("update", "UPDATE OF display_name, legal_name, email")):
            op.execute(f"CREATE TRIGGER client_search_text_{name} AFTER {event} ON client BEGIN "
                       f"UPDATE client SET search_text = {search_text('char(10)', 'NEW.')} WHERE id = NEW.id; END")
        op.execute(f"UPDATE client SET search_text = {search_text('char(10)')}")
    op.create_index('ix_client_search', 'client',
                    [sa.text('lower(display_name)'), 'id', 'archived_at', 'search_text', 'phone'])
    op.drop_index('ix_client_sort_name', table_name='client')  # its columns lead the new one


def downgrade():
    op.create_index('ix_client_sort_name', 'client', [sa.text('lower(display_name)'), 'id'])
    op.drop_index('ix_client_search', table_name='client')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER client_search_text ON client")
        op.execute("DROP FUNCTION client_search_text()")
    else:
        op.execute("DROP TRIGGER client_search_text_insert")
        op.execute("DROP TRIGGER client_search_text_update")
    op.drop_column('client', 'search_text')

"""re-index research lessons: their search access tokens changed spelling

Research-lesson documents in the search index carried "wg:<group>:school:<school>" for a
record kept to one school; the visibility rules (app/visibility.py) now spell a combined token
"school:<school>&wg:<group>", and readers hold only the new spelling. Queueing every research
lesson in the search outbox makes the indexer rewrite them, so no record drops out of search
after an upgrade (the index is a cache: `flask search rebuild` would do the same, in full).

Revision ID: 9d4e2b7c1a05
Revises: 3c8d1f0a9b27
Create Date: 2026-12-03 15:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d4e2b7c1a05'
down_revision = '3c8d1f0a9b27'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO search_outbox (key, created_at) "
        "SELECT 'observation:' || CAST(id AS VARCHAR(20)), CURRENT_TIMESTAMP FROM research_lesson"
    )


def downgrade():
    # Nothing to undo: re-indexing a document twice is harmless.
    pass

"""search documents: the PostgreSQL search backend's tables (SEARCH_BACKEND=postgres)

Created on every database so the schema does not depend on a setting; they stay empty with
the default Whoosh backend. The indexes are GIN on PostgreSQL, plain on SQLite (which cannot
search with this backend). After switching the backend, `flask search rebuild` fills them.

Revision ID: 8c3f6a1e2d47
Revises: 5b7e0c2d9f14
Create Date: 2026-12-03 17:10:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '8c3f6a1e2d47'
down_revision = '5b7e0c2d9f14'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_documents',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('sequence_title', sa.Text(), nullable=False),
        sa.Column('terms', postgresql.ARRAY(sa.Text()).with_variant(sa.JSON(), 'sqlite'),
                  nullable=False),
        sa.Column('stored', sa.JSON(), nullable=False),
        sa.Column('tsv', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'),
                  nullable=False),
        sa.Column('archived', sa.Boolean(), nullable=False),
        sa.Column('updated', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=True),
        sa.Column('written_at', sa.DateTime(timezone=True),
                  server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_search_documents')),
    )
    op.create_index('ix_search_documents_updated', 'search_documents', ['updated'])
    op.create_index('ix_search_documents_tsv', 'search_documents', ['tsv'],
                    postgresql_using='gin')
    op.create_index('ix_search_documents_terms', 'search_documents', ['terms'],
                    postgresql_using='gin')
    op.create_table(
        'search_words',
        sa.Column('word', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')),
    )


def downgrade():
    op.drop_table('search_words')
    op.drop_table('search_documents')

"""file blobs: content-addressed storage for images and attachments (catalogue and chunks)

`file_blob` lists every stored content by its sha256; `file_chunk` holds the bytes when
FILES_BACKEND is postgres. Created on every database so the schema is the same everywhere.

Revision ID: a7e3c5f1b920
Revises: 9d4e2a6b7c15
Create Date: 2026-12-04 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a7e3c5f1b920'
down_revision = '9d4e2a6b7c15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'file_blob',
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('hash', name=op.f('pk_file_blob')),
    )
    op.create_table(
        'file_chunk',
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['hash'], ['file_blob.hash'],
                                name=op.f('fk_file_chunk_hash_file_blob')),
        sa.PrimaryKeyConstraint('hash', 'seq', name=op.f('pk_file_chunk')),
    )


def downgrade():
    op.drop_table('file_chunk')
    op.drop_table('file_blob')

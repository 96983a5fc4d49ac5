"""links epoch: one counter that moves whenever a wiki link could resolve differently

A plan page caches its fields' HTML with wiki links resolved per reader class; the cache key
carries this counter, read in the page's own query, so every worker and host drops its copies
as soon as a sequence, lesson or material that links can name changes (app/planning/link_cache.py).

Revision ID: 3d9a41c7e5b2
Revises: 8c3f6a1e2d47
Create Date: 2026-12-04 16:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d9a41c7e5b2'
down_revision = '8c3f6a1e2d47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'links_epoch',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade():
    op.drop_table('links_epoch')

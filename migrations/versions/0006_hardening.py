"""throttle counters shared by every worker; drafts kept in the browser, not the database

Revision ID: 6a1e0c5d2b71
Revises: ef22ec3ca85f
Create Date: 2026-12-03 08:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a1e0c5d2b71'
down_revision = 'ef22ec3ca85f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_counter',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counter'))
    )
    with op.batch_alter_table('throttle_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counter_expires_at'), ['expires_at'], unique=False)
    # Text posted by anonymous requests was kept here; it could be planted from another site.
    op.drop_table('pending_draft')


def downgrade():
    op.create_table('pending_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=60), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_draft')),
    sa.UniqueConstraint('key', name=op.f('uq_pending_draft_key'))
    )
    with op.batch_alter_table('throttle_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counter_expires_at'))
    op.drop_table('throttle_counter')

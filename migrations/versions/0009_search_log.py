"""search log: the outbox becomes an ordered log read by every host's index

The outbox was a queue: whichever process applied a row deleted it, so with two app hosts (each
with its own index) a change applied on one never reached the other. The log keeps rows until
every registered index (search_reader) has read past them. Pending outbox rows are carried
over; every index starts at position 0, so it applies them and anything newer.

Revision ID: 5b7e0c2d9f14
Revises: 9d4e2b7c1a05
Create Date: 2026-12-03 16:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b7e0c2d9f14'
down_revision = '9d4e2b7c1a05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'search_reader',
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('position', sa.BigInteger(), nullable=False),
        sa.Column('documents', sa.Integer(), nullable=False),
        sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_search_reader')),
    )
    op.execute("INSERT INTO search_log (key, created_at) "
               "SELECT key, created_at FROM search_outbox ORDER BY id")
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_outbox_key'))
    op.drop_table('search_outbox')


def downgrade():
    op.create_table(
        'search_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox')),
    )
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_outbox_key'), ['key'], unique=False)
    op.execute("INSERT INTO search_outbox (key, created_at) "
               "SELECT key, created_at FROM search_log ORDER BY id")
    op.drop_table('search_reader')
    op.drop_table('search_log')

"""edit presence: who has a plan's editor open right now (a hint, never a lock)

Heartbeats live in the database so every worker and host sees the same editors.

Revision ID: 9d4e2a6b7c15
Revises: 8c3d1f7a5e62
Create Date: 2026-12-04 20:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9d4e2a6b7c15'
down_revision = '8c3d1f7a5e62'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'edit_presence',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('document_id', sa.Integer(), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['document_id'], ['document.id'],
                                name=op.f('fk_edit_presence_document_id_document')),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_edit_presence_user_id_user')),
        sa.PrimaryKeyConstraint('user_id', 'document_id', name=op.f('pk_edit_presence')),
    )
    with op.batch_alter_table('edit_presence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edit_presence_document_id'), ['document_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('edit_presence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edit_presence_document_id'))
    op.drop_table('edit_presence')

"""lesson approvals pinned by a sequence approval

Approving a sequence now approves, for the same school, the revision of each of its lessons
the reviewer was shown. Those lesson approvals point at the sequence approval that made
them, so the approved sequence can link to exactly the lesson revisions it approved.

Revision ID: 8c3d1f7a5e62
Revises: 7a1c5e9b3d24
Create Date: 2026-12-04 20:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8c3d1f7a5e62'
down_revision = '7a1c5e9b3d24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence_approval_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_approval_sequence_approval_id'),
                              ['sequence_approval_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_approval_sequence_approval_id_approval'),
                                    'approval', ['sequence_approval_id'], ['id'])


def downgrade():
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_approval_sequence_approval_id_approval'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_approval_sequence_approval_id'))
        batch_op.drop_column('sequence_approval_id')

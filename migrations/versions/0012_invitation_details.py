"""invitation details: the newcomer's name, several roles at once, and revoking

An invitation now names the person it is for, may give several Work Group roles (kept as a
comma-separated list in `roles`; `role` stays the first of them for older code), and can be
withdrawn by whoever may invite to that Work Group (`revoked_at`).

Revision ID: 4e7b2a9c0d13
Revises: 3d9a41c7e5b2
Create Date: 2026-12-04 19:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4e7b2a9c0d13'
down_revision = '3d9a41c7e5b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=120), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('roles', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    # Existing invitations keep the one role they were made with.
    op.execute("UPDATE invitation SET roles = role")
    # The defaults only filled existing rows; new rows get theirs from the model, as elsewhere.
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.alter_column('name', server_default=None)
        batch_op.alter_column('roles', server_default=None)


def downgrade():
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('roles')
        batch_op.drop_column('name')

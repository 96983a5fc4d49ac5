"""planned pupils: the focus pupils a teacher chooses when scheduling a research lesson

Each is a code (A, B, C) and a short profile, never a name; every observer's form starts
from them (app/observations/observations.py copies them into the observer's own record).

Revision ID: 7a1c5e9b3d24
Revises: 6e2b9c4d8a31
Create Date: 2026-12-04 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a1c5e9b3d24'
down_revision = '6e2b9c4d8a31'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('planned_pupil',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('research_lesson_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('profile', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['research_lesson_id'], ['research_lesson.id'],
                            name=op.f('fk_planned_pupil_research_lesson_id_research_lesson')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_pupil')),
    sa.UniqueConstraint('research_lesson_id', 'code',
                        name=op.f('uq_planned_pupil_research_lesson_id'))
    )
    with op.batch_alter_table('planned_pupil', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planned_pupil_research_lesson_id'),
                              ['research_lesson_id'], unique=False)


def downgrade():
    with op.batch_alter_table('planned_pupil', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planned_pupil_research_lesson_id'))
    op.drop_table('planned_pupil')

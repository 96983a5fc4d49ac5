"""sessions carry their academic year: a Work Group numbers its sessions afresh each year

Session numbers were unique per Work Group; a group that starts a new academic year
(app/workgroups/new_year.py) has a "Session 1" again, while last year's Session 1 stays as it
was. Each session now records the academic year it belongs to (from its date: September to
August), and its number is unique within the group and that year.

Revision ID: 6e2b9c4d8a31
Revises: 4e7b2a9c0d13
Create Date: 2026-12-04 20:05:00.000000

"""
import datetime as dt

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '6e2b9c4d8a31'
down_revision = '4e7b2a9c0d13'
branch_labels = None
depends_on = None


def _year(day) -> str:
    if isinstance(day, str):  # SQLite hands dates back as text
        day = dt.date.fromisoformat(day[:10])
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def upgrade():
    with op.batch_alter_table('work_group_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('academic_year', sa.String(length=7), nullable=True))
    conn = op.get_bind()
    table = sa.table('work_group_session', sa.column('id', sa.Integer()),
                     sa.column('date', sa.Date()), sa.column('academic_year', sa.String(7)))
    for row_id, day in conn.execute(sa.select(table.c.id, table.c.date)).all():
        conn.execute(table.update().where(table.c.id == row_id)
                     .values(academic_year=_year(day)))
    with op.batch_alter_table('work_group_session', schema=None) as batch_op:
        batch_op.alter_column('academic_year', existing_type=sa.String(length=7),
                              nullable=False)
        batch_op.drop_constraint('uq_work_group_session_work_group_id', type_='unique')
        batch_op.create_unique_constraint('uq_work_group_session_work_group_id',
                                          ['work_group_id', 'academic_year', 'number'])


def downgrade():
    with op.batch_alter_table('work_group_session', schema=None) as batch_op:
        batch_op.drop_constraint('uq_work_group_session_work_group_id', type_='unique')
        batch_op.create_unique_constraint('uq_work_group_session_work_group_id',
                                          ['work_group_id', 'number'])
        batch_op.drop_column('academic_year')

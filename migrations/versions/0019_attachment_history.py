"""attachments: a current version per file, pictures in text, provenance and extraction claims

- `attachment.current_number`: the version a plan has now. It is usually the newest, but
  restoring a plan revision brings back the versions that revision had (issue 15, item 3),
  so "current" is recorded, not derived.
- `attachment.purpose`: "file" (listed on the Files page) or "picture" (shown inside a
  Markdown field, uploaded from the editor).
- `attachment_version.copied_from_id`: the version an "Adapt for my school" copy came from.
- `attachment_version.extract_claimed_at`: when a worker took the version's text extraction
  (after the upload's request), so two hosts never extract the same file at once.

Revision ID: c9a5e7b3d142
Revises: b8f4d6a2c031
Create Date: 2026-12-05 01:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c9a5e7b3d142'
down_revision = 'b8f4d6a2c031'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment') as batch:
        batch.add_column(sa.Column('current_number', sa.Integer(), nullable=False,
                                   server_default='1'))
        batch.add_column(sa.Column('purpose', sa.String(length=10), nullable=False,
                                   server_default='file'))
    op.execute("UPDATE attachment SET current_number = (SELECT MAX(number) FROM "
               "attachment_version WHERE attachment_version.attachment_id = attachment.id) "
               "WHERE EXISTS (SELECT 1 FROM attachment_version "
               "WHERE attachment_version.attachment_id = attachment.id)")
    with op.batch_alter_table('attachment_version') as batch:
        batch.add_column(sa.Column('copied_from_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('extract_claimed_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_foreign_key('fk_attachment_version_copied_from_id_attachment_version', 'attachment_version',
                                 ['copied_from_id'], ['id'])


def downgrade():
    with op.batch_alter_table('attachment_version') as batch:
        batch.drop_constraint('fk_attachment_version_copied_from_id_attachment_version', type_='foreignkey')
        batch.drop_column('extract_claimed_at')
        batch.drop_column('copied_from_id')
    with op.batch_alter_table('attachment') as batch:
        batch.drop_column('purpose')
        batch.drop_column('current_number')

"""attachments: files of a lesson (later a sequence, board thread or session), with versions

`attachment` is the file as teachers see it (removal is reversible); `attachment_version` is
each upload, immutable, naming its content in `file_blob` by hash.

Revision ID: b8f4d6a2c031
Revises: a7e3c5f1b920
Create Date: 2026-12-04 23:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8f4d6a2c031'
down_revision = 'a7e3c5f1b920'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target_kind', sa.String(length=30), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('work_group_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('removed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                                name=op.f('fk_attachment_created_by_id_user')),
        sa.ForeignKeyConstraint(['removed_by_id'], ['user.id'],
                                name=op.f('fk_attachment_removed_by_id_user')),
        sa.ForeignKeyConstraint(['work_group_id'], ['work_group.id'],
                                name=op.f('fk_attachment_work_group_id_work_group')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_target', ['target_kind', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_work_group_id'), ['work_group_id'],
                              unique=False)
    op.create_table(
        'attachment_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('blob_hash', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('extension', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('text_note', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'],
                                name=op.f('fk_attachment_version_attachment_id_attachment')),
        sa.ForeignKeyConstraint(['blob_hash'], ['file_blob.hash'],
                                name=op.f('fk_attachment_version_blob_hash_file_blob')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'],
                                name=op.f('fk_attachment_version_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment_version')),
        sa.UniqueConstraint('attachment_id', 'number',
                            name=op.f('uq_attachment_version_attachment_id')),
    )
    with op.batch_alter_table('attachment_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_version_attachment_id'),
                              ['attachment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_version_blob_hash'), ['blob_hash'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('attachment_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_version_blob_hash'))
        batch_op.drop_index(batch_op.f('ix_attachment_version_attachment_id'))
    op.drop_table('attachment_version')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_work_group_id'))
        batch_op.drop_index('ix_attachment_target')
    op.drop_table('attachment')

"""Content-addressed blobs (a catalogue row per stored content, and its bytes in chunks) and
the attachments that name them.

Every backend writes the catalogue row (so `flask files verify` knows what must exist); only
the PostgreSQL backend keeps the bytes in `file_chunk` (the folder backend keeps files).

An attachment is one file of a plan (or, later, of a board thread or session) as teachers
see it: its versions are immutable rows pointing at blobs, so a plan revision can record the
versions it had (issue 15, item 3) and an approved version keeps serving the file it was
approved with after a newer upload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.utils import secure_filename

from app.accounts.models import User
from app.extensions import Model
from app.timeutil import utcnow


class FileBlob(Model):
    """One stored content, named by its hash; identical uploads share the row."""

    __tablename__ = "file_blob"

    #: sha256 of the content in lowercase hex: the blob's only name (never an uploaded name).
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileChunk(Model):
    """A slice of a blob's bytes (PostgreSQL backend); `seq` counts from 0."""

    __tablename__ = "file_chunk"

    hash: Mapped[str] = mapped_column(String(64), ForeignKey("file_blob.hash"),
                                      primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(Model):
    """A file of one target ("lesson" now; "sequence", "board_thread", "session" later)."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the file belongs to: its readers and writers are that thing's.
    target_kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int] = mapped_column(Integer)
    #: The Work Group whose quota the file's versions count against (the target's owner).
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Removal is reversible: the row, its versions and their blobs stay.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The version the target has now: the newest, unless restoring a plan revision brought
    #: back the versions that revision had (the newer ones stay, and can be downloaded).
    current_number: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: "file" (on the target's Files page) or "picture" (shown inside a Markdown field).
    purpose: Mapped[str] = mapped_column(String(10), default="file", server_default="file")

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    removed_by: Mapped[User | None] = relationship(foreign_keys=[removed_by_id])
    versions: Mapped[list[AttachmentVersion]] = relationship(
        back_populates="attachment", order_by="AttachmentVersion.number")

    @property
    def current(self) -> AttachmentVersion:
        """The version the target has now (what the list shows and a plain download gives)."""
        for version in self.versions:
            if version.number == self.current_number:
                return version
        return self.versions[-1]


class AttachmentVersion(Model):
    """One upload of an attachment, never changed: number 1 is the first, each replace adds one."""

    __tablename__ = "attachment_version"
    __table_args__ = (UniqueConstraint("attachment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: The stored content (re-encoded for pictures); never the uploaded name or path.
    blob_hash: Mapped[str] = mapped_column(String(64), ForeignKey("file_blob.hash"), index=True)
    #: The uploaded name made safe to show and to offer on download (app.core.files.names).
    display_name: Mapped[str] = mapped_column(String(200))
    #: Decided from the content at upload, and the only type the file is ever served as.
    media_type: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(10))
    #: "image", "pdf", "document", "slides" or "spreadsheet".
    kind: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Text extracted for search (issue 15, item 6), filled after the upload; None until then.
    #: Deferred: up to FILES_TEXT_MAX_CHARS per version, and only search documents read it.
    text: Mapped[str | None] = mapped_column(Text, deferred=True)
    #: Why no text could be extracted ("could not be read", "took too long"), for the list.
    text_note: Mapped[str | None] = mapped_column(String(300))
    #: When a worker took this version's text extraction (None: waiting, or done).
    extract_claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Provenance: the version this one was copied from ("Adapt for my school").
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("attachment_version.id"))

    attachment: Mapped[Attachment] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    copied_from: Mapped[AttachmentVersion | None] = relationship(
        remote_side=[id], foreign_keys=[copied_from_id])

    @property
    def url_name(self) -> str:
        """The last part of this version's download address: an ASCII form of its name for
        people reading the address (downloads ignore it; the name itself is sent in
        Content-Disposition). It starts with a letter or digit, as the address of a picture in
        Markdown must (app.core.markdown.is_picture_src): secure_filename keeps a leading "-"."""
        return secure_filename(self.display_name).lstrip("-._") or f"file.{self.extension}"

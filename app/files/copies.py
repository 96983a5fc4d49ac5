"""Copies of a plan's files and pictures, for "Adapt for my school" and a new academic year.

A copy gets attachments of its own (its lesson or sequence, the adapting Work Group's quota),
each a version 1 naming the same stored content (identical content is stored once, so no
byte is written) and remembering the version it was copied from. Pictures shown in the
plan's Markdown (`![alt](/files/<version id>/<name>)`) that belong to the source lesson or
its sequence are copied the same way and the copied text points at the copies: readers of the
copy (another school) need no right to the source to see them.

The whole copy is measured before anything is made: a Work Group without room for it gets
one clear message and no copy at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import db
from app.files.history import FILES_KEY, PLAN_KINDS
from app.files.models import Attachment, AttachmentVersion
from app.timeutil import utcnow

#: A picture's address in Markdown: relative, /files/<version id>/ (its name follows).
PICTURE_URL_RE = re.compile(r"(?<![\w/.:%-])/files/([1-9][0-9]{0,17})/")

#: (target kind, target id) of a lesson or sequence.
Owner = tuple[str, int]


@dataclass
class _Planned:
    """What one source plan brings: its files' current versions and its pictures by id."""

    files: list[AttachmentVersion] = field(default_factory=list)
    pictures: dict[int, AttachmentVersion] = field(default_factory=dict)


class PlanCopier:
    """Copies the files and pictures of several plans (a sequence and its lessons) into one
    Work Group: `plan` each source, `check_room` once, then `copy_into` each copy."""

    def __init__(self, user: User, work_group_id: int) -> None:
        self.user = user
        self.work_group_id = work_group_id
        self._planned: dict[Owner, _Planned] = {}

    def plan(self, source: Owner, fields: dict[str, Any], picture_owners: set[Owner]) -> None:
        """Note what copying `source` (its head `fields`) will copy: its files, and the
        pictures its Markdown shows that belong to one of `picture_owners`."""
        kind, target_id = source
        planned = _Planned()
        attachments = db.session.scalars(
            select(Attachment).where(Attachment.target_kind == kind,
                                     Attachment.target_id == target_id,
                                     Attachment.purpose == "file",
                                     Attachment.removed_at.is_(None))
            .options(selectinload(Attachment.versions)).order_by(Attachment.id))
        planned.files = [attachment.current for attachment in attachments]
        wanted = {int(found) for key in PLAN_KINDS[kind]
                  for found in PICTURE_URL_RE.findall(str(fields.get(key) or ""))}
        if wanted:
            for version in db.session.scalars(
                    select(AttachmentVersion).join(AttachmentVersion.attachment)
                    .where(AttachmentVersion.id.in_(wanted), Attachment.purpose == "picture",
                           Attachment.removed_at.is_(None))):
                attachment = version.attachment
                # Only the source's own pictures: an address of anything else is left as it
                # is (and shows nothing to whoever may not read that other thing).
                if (attachment.target_kind, attachment.target_id) in picture_owners:
                    planned.pictures[version.id] = version
        self._planned[source] = planned

    @property
    def size(self) -> int:
        """Bytes the copies will count against the Work Group's quota."""
        return sum(version.size for planned in self._planned.values()
                   for version in [*planned.files, *planned.pictures.values()])

    def check_room(self) -> None:
        """Refuse the whole copy, before anything is made, if the Work Group's files have no
        room for it; otherwise hold the Work Group's uploads until the copy commits."""
        if not self.size:
            return
        # Imported here: attachments imports the planning services, which import us.
        from app.files import attachments

        attachments._lock_group(self.work_group_id)
        quota = int(current_app.config["FILES_GROUP_QUOTA_BYTES"])
        used = attachments.group_usage(self.work_group_id)
        if used + self.size > quota:
            size = attachments.megabytes
            raise ValidationError(
                f"The plan's files ({size(self.size)}) do not fit: your Work Group's files "
                f"already use {size(used)} of the {size(quota)} it may keep. Nothing was "
                "copied. Ask your Work Group Lead or Maths Hub to make room or raise the "
                "limit, or adapt it into another Work Group.")

    def copy_into(self, source: Owner, copy: Owner, fields: dict[str, Any]) -> dict[str, Any]:
        """The copy's first snapshot: `fields` (the source's) with the copy's own files and
        its pictures' addresses pointing at the copies."""
        planned = self._planned.get(source, _Planned())
        out = dict(fields)
        copied = [self._copy(version, copy, "file") for version in planned.files]
        out.pop(FILES_KEY, None)
        if copied or FILES_KEY in fields:
            out[FILES_KEY] = [{"id": version.attachment.id, "name": version.display_name,
                               "version": version.number} for version in copied]
        if planned.pictures:
            new_ids = {old_id: self._copy(version, copy, "picture").id
                       for old_id, version in planned.pictures.items()}

            def point_at_copy(match: re.Match[str]) -> str:
                old_id = int(match.group(1))
                return f"/files/{new_ids.get(old_id, old_id)}/"

            for key in PLAN_KINDS[copy[0]]:
                if isinstance(out.get(key), str):
                    out[key] = PICTURE_URL_RE.sub(point_at_copy, out[key])
        db.session.flush()
        return out

    def _copy(self, version: AttachmentVersion, copy: Owner, purpose: str) -> AttachmentVersion:
        now = utcnow()
        attachment = Attachment(target_kind=copy[0], target_id=copy[1],
                                work_group_id=self.work_group_id, created_by_id=self.user.id,
                                created_at=now, current_number=1, purpose=purpose)
        db.session.add(attachment)
        new = AttachmentVersion(
            attachment=attachment, number=1, blob_hash=version.blob_hash,
            display_name=version.display_name, media_type=version.media_type,
            extension=version.extension, kind=version.kind, size=version.size,
            created_by_id=self.user.id, created_at=now, text=version.text,
            text_note=version.text_note, copied_from_id=version.id)
        db.session.add(new)
        db.session.flush()
        return new

"""Plans -> materials: the derived link table, and `[[pd:2.7]]` link resolution."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from sqlalchemy import case, delete, select

from app.core.markdown import LinkTarget
from app.core.text import is_whole_number
from app.extensions import db
from app.materials.models import MAX_NOTE, Material, PlanMaterialLink


def sync_links(sequence_id: int, lesson_id: int | None, links: list[dict[str, Any]]) -> None:
    """Replace one plan's link rows with those of its current snapshot.

    `lesson_id` None means the sequence's own links; otherwise the lesson's (whatever sequence
    its old rows named, so a lesson moved to another sequence takes its links along). Entries
    naming no existing material are skipped: this table is derived and must never fail a save.
    """
    if lesson_id is None:
        db.session.execute(delete(PlanMaterialLink).where(
            PlanMaterialLink.sequence_id == sequence_id, PlanMaterialLink.lesson_id.is_(None)))
    else:
        db.session.execute(delete(PlanMaterialLink).where(
            PlanMaterialLink.lesson_id == lesson_id))
    wanted: list[tuple[int, str]] = []
    for item in links or []:
        raw = item.get("material_id") if isinstance(item, dict) else None
        material_id = (raw if isinstance(raw, int) else
                       int(str(raw)) if is_whole_number(str(raw)) else None)
        if material_id is None or any(m == material_id for m, _ in wanted):
            continue
        note = " ".join(str(item.get("note") or "").split())[:MAX_NOTE]
        wanted.append((material_id, note))
    if not wanted:
        return
    existing = set(db.session.scalars(select(Material.id).where(
        Material.id.in_([m for m, _ in wanted]))))
    db.session.add_all(
        PlanMaterialLink(material_id=material_id, sequence_id=sequence_id, lesson_id=lesson_id,
                         position=position, note=note)
        for position, (material_id, note) in enumerate(
            [(m, n) for m, n in wanted if m in existing], start=1))


def find_for_key(key: str) -> Material | None:
    """The published material a `[[pd:…]]` key names: a segment like "2.7" or "id:12"."""
    key = " ".join(key.split())
    if key.lower().startswith("id:"):
        raw = key[3:].strip()
        if not is_whole_number(raw) or int(raw) > 2**31 - 1:
            return None
        material = db.session.get(Material, int(raw))
        return material if material is not None and material.status == "published" else None
    if not key:
        return None
    # Prefer the NCETM primary material for a segment; other sources may reuse numbers.
    preference = case((Material.source == "ncetm_primary_pd", 0), else_=1)
    return db.session.scalar(
        select(Material)
        .where(Material.segment == key, Material.status == "published",
               Material.archived_at.is_(None))
        .order_by(preference, Material.id).limit(1))


def on_material_link(_app: Flask, *, key: str) -> LinkTarget | None:
    """Receiver of app.signals.material_link (connected per app by init_app)."""
    return material_link(key)


def material_link(key: str) -> LinkTarget | None:
    """The link target for `[[pd:key]]`; None = unknown material."""
    material = find_for_key(key)
    if material is None:
        return None
    return LinkTarget(url_for("materials.material", material_id=material.id), title=material.label)

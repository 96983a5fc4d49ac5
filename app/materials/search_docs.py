"""Published materials as search documents, readable by every signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, url_for
from sqlalchemy import select

from app.extensions import db
from app.materials.models import Material
from app.planning.reference_data import index_strand
from app.search.sources import Source, register


def material_document(material_id: int) -> dict[str, Any] | None:
    """The document for a material, or None while it is a suggestion or archived."""
    material = db.session.get(Material, material_id)
    return None if material is None else _document(material)


def material_documents(ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """material_document for many materials in one query (rebuilds)."""
    docs: dict[int, dict[str, Any] | None] = dict.fromkeys(ids)
    docs.update((m.id, _document(m))
                for m in db.session.scalars(select(Material).where(Material.id.in_(ids))))
    return docs


def _document(material: Material) -> dict[str, Any] | None:
    if material.status != "published" or material.archived_at is not None:
        return None
    body = "\n\n".join([material.description, "\n".join(material.teaching_points or []),
                        " ".join(material.tags or []), material.theme or "",
                        material.source_label])
    return {
        "key": f"material:{material.id}", "type": "material", "title": material.title,
        "body": body,
        # Index tokens split on spaces; keep a unit name such as "Y3 Unit 6" one token.
        "segment": [material.code.replace(" ", "-")] if material.code else [],
        "spine": material.spine or "",
        "year_group": (material.year_groups or [""])[0],
        "strand": index_strand(material.strand),
        "updated": material.updated_at,
        "archived": False,
        # The catalogue is for everyone signed in; "site" mirrors the other sources.
        "access": ["all", "site"],
        "extra": {"material_id": material.id},
    }


def _ids() -> Iterator[int]:
    yield from db.session.scalars(select(Material.id).order_by(Material.id))


def _keys(material: Material) -> list[str]:
    return [f"material:{material.id}"]


def register_sources(app: Flask) -> None:
    """Make materials searchable in this app (called from app.materials.init_app)."""
    register(app, Source("material", material_document, _ids, _keys, (Material,),
                    lambda i: url_for("materials.material", material_id=i), "PD material",
                    build_many=material_documents))

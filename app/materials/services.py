"""The materials catalogue: browse, read, curate, suggest, approve, archive; usage and backlinks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select

from app import policy
from app.accounts.models import User
from app.core.markdown import render_markdown
from app.errors import Forbidden, NotFound, ValidationError
from app.extensions import db
from app.materials.models import SOURCES, SPINES, Material, PlanMaterialLink
from app.materials.validation import YEAR_CODES, material_fields, normalise_url
from app.planning.models import Lesson, Sequence
from app.planning.reference_data import YEAR_GROUPS
from app.timeutil import utcnow

MOST_USED_LIMIT = 5


# --- reading ----------------------------------------------------------------------------------


@dataclass
class LibraryFilters:
    spine: str = ""
    year: str = ""
    strand: str = ""
    source: str = ""
    archived: bool = False

    @property
    def active(self) -> bool:
        return bool(self.spine or self.year or self.strand or self.source or self.archived)


@dataclass
class LibrarySection:
    """A heading's worth of materials: one primary spine, or everything else."""

    key: str
    heading: str
    materials: list[Material] = field(default_factory=list)


def get_material(user: User, material_id: int) -> Material:
    """A material the user may read; NotFound otherwise (a suggestion's existence stays hidden)."""
    material = db.session.get(Material, material_id)
    if material is None or not policy.can_view_material(user, material):
        raise NotFound()
    return material


def curatable_material(user: User, material_id: int) -> Material:
    material = get_material(user, material_id)
    if not policy.can_curate_materials(user):
        raise Forbidden("Only hub admins, site admins and Work Group Leads curate materials.")
    return material


def library(user: User, filters: LibraryFilters) -> list[LibrarySection]:
    """Published materials matching the filters, by spine, segments in numeric order."""
    query = select(Material).where(Material.status == "published")
    if not (filters.archived and policy.can_curate_materials(user)):
        query = query.where(Material.archived_at.is_(None))
    if filters.spine:
        query = query.where(Material.spine == filters.spine)
    if filters.strand:
        query = query.where(Material.strand == filters.strand)
    if filters.source:
        query = query.where(Material.source == filters.source)
    found = list(db.session.scalars(query))
    if filters.year:
        # Year groups are a JSON list; the catalogue is small, so filter here rather than
        # write JSON-containment SQL twice (SQLite and PostgreSQL differ).
        found = [m for m in found if filters.year in (m.year_groups or [])]
    return _sections(sorted(found, key=lambda m: m.sort_key))


def _sections(materials: Iterable[Material]) -> list[LibrarySection]:
    sections = {key: LibrarySection(key, f"Spine {key}: {name}") for key, name in SPINES.items()}
    sections["other"] = LibrarySection("other", "Other materials")
    for material in materials:
        sections[material.spine if material.spine in SPINES else "other"].materials.append(
            material)
    return [s for s in sections.values() if s.materials]


def suggestions(user: User) -> list[Material]:
    """Suggestions waiting for approval: curators see all, others their own."""
    query = select(Material).where(Material.status == "suggested",
                                   Material.archived_at.is_(None))
    if not policy.can_curate_materials(user):
        query = query.where(Material.suggested_by_id == user.id)
    return list(db.session.scalars(query.order_by(Material.created_at, Material.id)))


def most_used_in_my_groups(user: User, limit: int = MOST_USED_LIMIT) -> list[tuple[Material, int]]:
    """Materials most linked from plans in the user's Work Groups that the user may see."""
    groups = policy.work_group_ids(user)
    if not groups:
        return []
    uses = func.count(PlanMaterialLink.id).label("uses")
    rows = db.session.execute(
        select(Material, uses)
        .join(PlanMaterialLink, PlanMaterialLink.material_id == Material.id)
        .join(Sequence, Sequence.id == PlanMaterialLink.sequence_id)
        .where(Sequence.work_group_id.in_(groups), Sequence.archived_at.is_(None),
               policy.visible_sequences_clause(user),
               Material.status == "published", Material.archived_at.is_(None))
        .group_by(Material.id)
        .order_by(uses.desc(), Material.id)
        .limit(limit))
    return [(material, count) for material, count in rows]


@dataclass
class Backlink:
    sequence: Sequence
    lesson: Lesson | None
    note: str


def backlinks(user: User, material: Material) -> list[tuple[str, list[Backlink]]]:
    """Plans the reader may see that use the material, grouped by year group (label, links)."""
    rows = db.session.execute(
        select(PlanMaterialLink, Sequence, Lesson)
        .join(Sequence, Sequence.id == PlanMaterialLink.sequence_id)
        .outerjoin(Lesson, Lesson.id == PlanMaterialLink.lesson_id)
        .where(PlanMaterialLink.material_id == material.id,
               Sequence.archived_at.is_(None),
               or_(PlanMaterialLink.lesson_id.is_(None), Lesson.archived_at.is_(None)),
               policy.visible_sequences_clause(user))
        .order_by(Sequence.title, Sequence.id, Lesson.position, PlanMaterialLink.position))
    labels = dict(YEAR_GROUPS)
    groups: dict[str, list[Backlink]] = {}
    for link, sequence, lesson in rows:
        groups.setdefault(sequence.year_group, []).append(Backlink(sequence, lesson, link.note))
    order = {code: n for n, code in enumerate(YEAR_CODES)}
    return [(labels.get(code, code or "No year group"), groups[code])
            for code in sorted(groups, key=lambda c: (order.get(c, len(order)), c))]


def possible_duplicates(material: Material) -> list[Material]:
    """Other live records with the same normalised address.

    Different segments of one spine share the spine's overview page, so two records that both
    name a segment and differ in it are not flagged: they are different materials.
    """
    query = select(Material).where(Material.url_key == material.url_key,
                                   Material.id != material.id, Material.archived_at.is_(None))
    if material.segment:
        query = query.where(or_(Material.segment.is_(None),
                                and_(Material.segment == material.segment,
                                     Material.source == material.source)))
    return list(db.session.scalars(query.order_by(Material.id)))


# --- writing ----------------------------------------------------------------------------------


def apply_fields(material: Material, fields: dict[str, Any]) -> bool:
    """Copy cleaned fields onto a material; True when anything changed."""
    changed = False
    for key, value in fields.items():
        if getattr(material, key) != value:
            setattr(material, key, value)
            changed = True
    key = normalise_url(material.url)
    if material.url_key != key:
        material.url_key, changed = key, True
    html = str(render_markdown(material.description)) if material.description else ""
    if material.description_html != html:
        material.description_html, changed = html, True
    if changed and material.id is not None:
        material.updated_at = utcnow()
    return changed


def _validated(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    fields = material_fields(data, errors)
    if errors:
        raise ValidationError(fields=errors)
    return fields


def create_material(user: User, data: dict[str, Any]) -> Material:
    """A curator adds a published material (a duplicate address is saved, then flagged)."""
    if not policy.can_curate_materials(user):
        raise Forbidden("Only hub admins, site admins and Work Group Leads add materials. "
                        "You can suggest one instead.")
    material = Material(status="published", created_by_id=user.id)
    apply_fields(material, _validated(data))
    db.session.add(material)
    db.session.flush()
    return material


def suggest_material(user: User, data: dict[str, Any]) -> Material:
    """Anyone signed in suggests a material; it stays out of the library until approved."""
    if not policy.can_suggest_material(user):
        raise Forbidden()
    material = Material(status="suggested", created_by_id=user.id, suggested_by_id=user.id)
    apply_fields(material, _validated(data))
    db.session.add(material)
    db.session.flush()
    return material


def update_material(user: User, material_id: int, data: dict[str, Any]) -> Material:
    material = curatable_material(user, material_id)
    apply_fields(material, _validated(data))
    return material


def approve_material(user: User, material_id: int) -> Material:
    material = curatable_material(user, material_id)
    if material.status != "published":
        material.status, material.updated_at = "published", utcnow()
    return material


def archive_material(user: User, material_id: int) -> Material:
    """Archive instead of deleting: plans that link it keep working."""
    material = curatable_material(user, material_id)
    if material.archived_at is None:
        material.archived_at = material.updated_at = utcnow()
    return material


def restore_material(user: User, material_id: int) -> Material:
    material = curatable_material(user, material_id)
    if material.archived_at is not None:
        material.archived_at, material.updated_at = None, utcnow()
    return material


def form_data(material: Material) -> dict[str, Any]:
    """A material's fields as the form shows them."""
    return {
        "title": material.title, "source": material.source, "url": material.url,
        "kind": material.kind, "spine": material.spine or "", "segment": material.segment or "",
        "theme": material.theme or "", "core_concept": material.core_concept or "",
        "year_groups": list(material.year_groups or []), "strand": material.strand or "",
        "description": material.description, "teaching_points": "\n".join(
            material.teaching_points or []), "tags": ", ".join(material.tags or []),
    }


def source_options() -> list[tuple[str, str]]:
    return list(SOURCES.items())

"""Load the demo PD materials catalogue; running it twice changes nothing.

Segment numbers and titles are public facts (NCETM Primary Mastery PD Materials, domain brief
§4); only the segments listed there are loaded. Each segment links to its spine's public
overview page unless the seed gives a more specific page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.materials.models import Material
from app.materials.services import apply_fields

#: Same shape as app.demo.loader.Step (not imported: loader.py imports this module).
Step = Callable[[dict[str, Any], dict[str, Any]], None]

SPINE_URLS: dict[str, str] = {
    "1": "https://ncetm.org.uk/teaching-for-mastery/mastery-materials/"
         "primary-mastery-professional-development/number-addition-and-subtraction",
    # Not in the domain brief; NCETM's public Spine 2 overview page, checked by hand.
    "2": "http://www.ncetm.org.uk/teaching-for-mastery/mastery-materials/"
         "primary-mastery-professional-development/multiplication-and-division/",
    "3": "http://www.ncetm.org.uk/teaching-for-mastery/mastery-materials/"
         "primary-mastery-professional-development/fractions/",
}
SPINE_STRANDS = {"1": "as", "2": "md", "3": "fractions"}
SPINE_NAMES = {"1": "Number, Addition and Subtraction", "2": "Multiplication and Division",
               "3": "Fractions"}

#: (segment, title, year groups): the segments the domain brief lists, with their years where
#: NCETM's spine pages give them (3.0 is the Key Stage 1 guidance segment).
SEGMENTS: list[tuple[str, str, list[str]]] = [
    ("1.1", "Comparison of quantities and measures", ["Y1"]),
    ("1.2", "Introducing 'whole' and 'parts': part-part-whole", ["Y1"]),
    ("1.3", "Composition of numbers: 0-5", ["Y1"]),
    ("1.4", "Composition of numbers: 6-10", ["Y1"]),
    ("1.5", "Additive structures: aggregation and partitioning", ["Y1"]),
    ("1.10", "Composition of numbers: 11-19", ["Y1"]),
    ("2.1", "Counting, unitising and coins", ["Y1"]),
    ("2.2", "Structures: multiplication representing equal groups", ["Y2"]),
    ("2.3", "Times tables: groups of 2 and commutativity (part 1)", ["Y2"]),
    ("2.4", "Times tables: groups of 10 and of 5, and factors of 0 and 1", ["Y2"]),
    ("2.5", "Commutativity (part 2), doubling and halving", ["Y2"]),
    ("2.6", "Structures: quotitive and partitive division", ["Y2"]),
    ("2.7", "Times tables: 2, 4 and 8, and the relationship between them", ["Y3"]),
    ("2.8", "Times tables: 3, 6 and 9, and the relationship between them", ["Y3"]),
    ("3.0", "Key Stage 1 guidance on teaching fractions", ["Y1", "Y2"]),
    ("3.1", "Preparing for fractions: the part-whole relationship", ["Y3"]),
    ("3.2", "Unit fractions", ["Y3"]),
    ("3.3", "Non-unit fractions", ["Y3"]),
    ("3.4", "Adding and subtracting within one whole", ["Y3"]),
    ("3.5", "Improper fractions and mixed numbers", ["Y4"]),
    ("3.6", "Multiplying whole numbers and fractions", ["Y4"]),
    ("3.7", "Finding equivalent fractions and simplifying fractions", ["Y5"]),
    ("3.8", "Common denomination: more adding and subtracting", ["Y5"]),
    ("3.9", "Multiplying fractions and dividing fractions by a whole number", ["Y6"]),
    ("3.10", "Linking fractions, decimals and percentages", ["Y6"]),
]

#: How the seed names its sources.
SEED_SOURCES = {
    "NCETM Primary Mastery PD Materials": "ncetm_primary_pd",
    "NCETM Secondary Mastery PD Materials": "ncetm_secondary_pd",
}


def _year_codes(value: str) -> list[str]:
    """Seed years ("Year 3", "KS3") as year-group codes."""
    if value == "KS3":
        return ["Y7", "Y8", "Y9"]
    if value.startswith("Year "):
        return ["Y" + value.split()[1]]
    return []


def _primary_fields(segment: str, title: str, years: list[str]) -> dict[str, Any]:
    spine = segment.split(".")[0]
    return {
        "title": title, "source": "ncetm_primary_pd", "kind": "teacher_guide",
        "url": SPINE_URLS[spine], "spine": spine, "segment": segment, "theme": None,
        "core_concept": None, "year_groups": years, "strand": SPINE_STRANDS[spine],
        "description": (f"Segment {segment} of Spine {spine} ({SPINE_NAMES[spine]}) of the NCETM "
                        "Primary Mastery Professional Development Materials: a teacher guide "
                        "with animated slides. NCETM says the materials are not lesson plans; "
                        "use them alongside a mastery textbook."),
        "teaching_points": [], "tags": ["NCETM", f"spine {spine}"],
    }


def _seed_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Fields for one of the seed's pd_materials (which may refine a listed segment)."""
    source = SEED_SOURCES.get(data["source"], "other")
    years = _year_codes(data.get("year_group", ""))
    if source == "ncetm_primary_pd":
        fields = _primary_fields(data["segment"], data["title"], years)
        fields["url"] = data["url"]
        if data.get("teaching_points"):
            fields["description"] += (f"\n\nThe segment page lists {data['teaching_points']} "
                                      "teaching points.")
        return fields
    if source == "ncetm_secondary_pd":
        return {
            "title": data["title"], "source": source, "kind": "teacher_guide",
            "url": data["url"], "spine": None, "segment": None,
            "theme": str(data.get("theme") or "") or None, "core_concept": data["segment"],
            "year_groups": years, "strand": "number", "teaching_points": [],
            "description": "NCETM Secondary Mastery PD Materials (Key Stage 3): a core concept "
                           f"of Theme {data.get('theme')}.",
            "tags": ["NCETM", "secondary"],
        }
    # Curriculum-prioritisation units have no source of their own in the catalogue's list.
    return {
        "title": data["title"], "source": "other", "kind": "slides", "url": data["url"],
        "spine": None, "segment": data["segment"], "theme": None, "core_concept": None,
        "year_groups": years, "strand": "md" if "times tables" in data["title"] else None,
        "teaching_points": [],
        "description": "NCETM curriculum prioritisation unit: classroom slides with numbered "
                       "learning outcomes, linked to the PD materials and the "
                       "ready-to-progress criteria.",
        "tags": ["NCETM", "curriculum prioritisation"],
    }


def _find(fields: dict[str, Any]) -> Material | None:
    query = select(Material).where(Material.source == fields["source"])
    if fields["segment"]:
        query = query.where(Material.segment == fields["segment"])
    elif fields["core_concept"]:
        query = query.where(Material.core_concept == fields["core_concept"])
    else:
        query = query.where(Material.title == fields["title"])
    return db.session.scalar(query.order_by(Material.id).limit(1))


def _ensure(fields: dict[str, Any]) -> Material:
    """The existing record for these fields, or a new published one; existing ones are kept
    as they are, so curators' edits survive a second run."""
    material = _find(fields)
    if material is None:
        material = Material(status="published")
        apply_fields(material, fields)
        db.session.add(material)
        db.session.flush()
    return material


def load_materials(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    """Create the listed NCETM primary segments and the seed's pd_materials; map seed ids."""
    by_segment: dict[str, dict[str, Any]] = {
        segment: _primary_fields(segment, title, years) for segment, title, years in SEGMENTS}
    seed_fields: dict[str, dict[str, Any]] = {}
    for data in seed.get("pd_materials", []):
        fields = _seed_fields(data)
        seed_fields[data["id"]] = fields
        if fields["source"] == "ncetm_primary_pd":
            # The seed's wording and page are more specific than the spine overview.
            by_segment[fields["segment"]] = fields
    for fields in by_segment.values():
        _ensure(fields)
    for seed_id, fields in seed_fields.items():
        ids[seed_id] = _ensure(fields)


#: For app.demo.loader.STEPS: runs before "sequences", so plans can link materials.
STEP: tuple[str, Step] = ("materials", load_materials)

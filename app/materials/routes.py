"""Materials library pages, curation, import, and the subject-knowledge log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import policy
from app.accounts.models import User
from app.core.markdown import resolve_links, rewrap_stored
from app.errors import Forbidden, ValidationError
from app.forms import require_button
from app.materials import importer, learning, services
from app.materials.forms import ImportForm, LibraryForm, MaterialForm, StudyForm
from app.materials.models import KINDS, SOURCES, SPINES
from app.planning.links import link_resolver
from app.planning.reference_data import STRANDS, YEAR_GROUPS
from app.timeutil import utcnow

bp = Blueprint("materials", __name__)

LABELS: dict[str, dict[str, str]] = {
    "source": SOURCES, "kind": KINDS, "spine": SPINES, "year_group": dict(YEAR_GROUPS),
    "strand": {code: name for code, name, _phase in STRANDS},
}

_NAMES = [name for _code, name, _phase in STRANDS]
#: Primary and secondary share some strand names ("Algebra"): say which is which.
STRAND_OPTIONS = [(code, f"{name} ({phase})" if _NAMES.count(name) > 1 else name)
                  for code, name, phase in STRANDS]


def _user() -> User:
    return current_user._get_current_object()


def _form_options() -> dict[str, Any]:
    return {"sources": list(SOURCES.items()), "kinds": list(KINDS.items()),
            "spines": [(k, f"Spine {k}: {v}") for k, v in SPINES.items()],
            "year_groups": YEAR_GROUPS, "strands": STRAND_OPTIONS}


def _require_curator(user: User) -> None:
    if not policy.can_curate_materials(user):
        raise Forbidden("Only hub admins, site admins and Work Group Leads curate the library. "
                        "You can suggest a material instead.")


# --- library ----------------------------------------------------------------------------------


@bp.get("/materials")
@login_required
def library():
    user = _user()
    form = LibraryForm(formdata=request.args)
    # A value the page does not offer (an old bookmark) is no filter, never an error.
    filters = services.LibraryFilters(
        spine=form.offered("spine", SPINES), year=form.offered("year", LABELS["year_group"]),
        strand=form.offered("strand", LABELS["strand"]), source=form.offered("source", SOURCES),
        archived=form.archived.data == "1")
    can_curate = policy.can_curate_materials(user)
    return render_template(
        "materials/library.html", sections=services.library(user, filters), filters=filters,
        most_used=services.most_used_in_my_groups(user), suggestions=services.suggestions(user),
        can_curate=can_curate, labels=LABELS, **_form_options())


@bp.get("/materials/<int:material_id>")
@login_required
def material(material_id: int):
    user = _user()
    item = services.get_material(user, material_id)
    description = resolve_links(rewrap_stored(item.description_html), link_resolver(user)) \
        if item.description_html else ""
    return render_template(
        "materials/material.html", material=item, description=description,
        backlinks=services.backlinks(user, item), duplicates=services.possible_duplicates(item),
        can_curate=policy.can_curate_materials(user), labels=LABELS)


def _material_form(mode: str, material_id: int | None = None):
    """Shared by add, suggest and edit: the same fields, different outcomes."""
    user = _user()
    item = services.curatable_material(user, material_id) if material_id else None
    if mode == "new":
        _require_curator(user)
    form = MaterialForm(data=services.form_data(item)) if item and request.method != "POST" \
        else MaterialForm()
    if form.validate_on_submit():
        data = form.data
        try:
            if mode == "new":
                saved = services.create_material(user, data)
            elif mode == "suggest":
                saved = services.suggest_material(user, data)
            else:
                assert material_id is not None  # only the edit route uses this mode
                saved = services.update_material(user, material_id, data)
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            duplicates = services.possible_duplicates(saved)
            if mode == "suggest":
                flash("Thank you: your suggestion is waiting for a curator to approve it.",
                      "success")
            else:
                flash("Material saved.", "success")
            if duplicates:
                flash("Saved, but it may duplicate " + "; ".join(
                    f"“{d.label}”" for d in duplicates) + " (same web address).", "info")
            return redirect(url_for("materials.material", material_id=saved.id))
    duplicates = services.possible_duplicates(item) if item else []
    errors = form.field_errors()
    return render_template("materials/form.html", mode=mode, material=item, data=form.data,
                           errors=errors, duplicates=duplicates, **_form_options()), (
        400 if errors else 200)


@bp.route("/materials/new", methods=["GET", "POST"])
@login_required
def new_material():
    return _material_form("new")


@bp.route("/materials/suggest", methods=["GET", "POST"])
@login_required
def suggest_material():
    return _material_form("suggest")


@bp.route("/materials/<int:material_id>/edit", methods=["GET", "POST"])
@login_required
def edit_material(material_id: int):
    return _material_form("edit", material_id)


@bp.post("/materials/<int:material_id>/approve")
@login_required
def approve_material(material_id: int):
    require_button()
    item = services.approve_material(_user(), material_id)
    flash(f"“{item.title}” is published.", "success")
    return redirect(url_for("materials.material", material_id=item.id))


@bp.post("/materials/<int:material_id>/archive")
@login_required
def archive_material(material_id: int):
    require_button()
    item = services.archive_material(_user(), material_id)
    flash(f"“{item.title}” is archived: it has left the library and search. "
          "Plans that link it still work.", "success")
    return redirect(url_for("materials.material", material_id=item.id))


@bp.post("/materials/<int:material_id>/restore")
@login_required
def restore_material(material_id: int):
    require_button()
    item = services.restore_material(_user(), material_id)
    flash(f"“{item.title}” is back in the library.", "success")
    return redirect(url_for("materials.material", material_id=item.id))


@bp.route("/materials/import", methods=["GET", "POST"])
@login_required
def import_materials():
    user = _user()
    _require_curator(user)
    report, refused_file = None, None
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.stream.read(importer.MAX_IMPORT_BYTES + 1)
        try:
            report = importer.import_file(user, upload.filename, content)
        except importer.ImportRefused as error:
            refused_file = f"{error} Nothing was imported."
    elif form.is_submitted():
        refused_file = form.field_errors()["file"]
    return render_template("materials/import.html", report=report, refused_file=refused_file,
                           columns_help=importer.COLUMNS_HELP), (400 if refused_file else 200)


# --- subject-knowledge log --------------------------------------------------------------------


@bp.route("/my/learning", methods=["GET", "POST"])
@login_required
def my_learning():
    user = _user()
    form = StudyForm()
    # A material page links here with ?material=<id> to start an entry about it.
    data: dict[str, Any] = {"material_id": request.args.get("material", ""),
                            "studied_on": utcnow().date().isoformat()}
    if form.validate_on_submit():
        try:
            learning.record_study(user, form.service_data())
        except ValidationError as error:
            form.add_errors(error.fields)
        else:
            flash("Added to your subject-knowledge log.", "success")
            return redirect(url_for("materials.my_learning"))
    if form.is_submitted():
        data = form.service_data()
    errors = form.field_errors()
    return render_template(
        "materials/my_learning.html", owner=user, entries=learning.entries(user), data=data,
        errors=errors, materials=learning.material_choices(), plans=learning.plan_choices(user),
        today=utcnow().date().isoformat(), can_view_plan=policy.can_view_sequence), (
        400 if errors else 200)


@bp.post("/my/learning/<int:entry_id>/delete")
@login_required
def delete_study(entry_id: int):
    require_button()
    learning.delete_entry(_user(), entry_id)
    flash("Entry removed from your log.", "success")
    return redirect(url_for("materials.my_learning"))


@bp.get("/people/<int:user_id>/learning")
@login_required
def study_log(user_id: int):
    viewer = _user()
    owner = learning.log_owner(viewer, user_id)
    if owner.id == viewer.id:
        return redirect(url_for("materials.my_learning"))
    return render_template("materials/study_log.html", owner=owner,
                           entries=learning.entries(owner), viewer=viewer,
                           can_view_plan=policy.can_view_sequence)


@bp.get("/schools/<int:school_id>/learning")
@login_required
def school_learning(school_id: int):
    school, coverage = learning.school_coverage(_user(), school_id)
    return render_template("materials/school_learning.html", school=school, coverage=coverage)


@bp.get("/work-groups/<int:group_id>/learning")
@login_required
def group_learning(group_id: int):
    group, coverage, members = learning.group_coverage(_user(), group_id)
    return render_template("materials/group_learning.html", group=group, coverage=coverage,
                           members=members)

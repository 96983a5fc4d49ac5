"""Sequence and lesson pages: list, create, read, edit (with merge), structure, archive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.comments.services import thread_from
from app.core.markdown import render_markdown
from app.database import write_after_response
from app.errors import ValidationError
from app.extensions import db, limiter
from app.files.picture_forms import add_to_text, picture_requested
from app.forms import refusal, require_button

# Other features' panels on plan pages (they never import planning's routes).
from app.observations.services import address_changes, lesson_panel, open_changes_for_lesson
from app.planning import page_data, presence, presenters, services, visits
from app.planning.blueprint import bp
from app.planning.fields import LESSON_FIELDS, LESSON_SECTIONS, SEQUENCE_TEXT_FIELDS
from app.planning.forms import (
    AddLessonForm,
    LessonForm,
    MoveLessonForm,
    SequenceForm,
    SettingsForm,
)
from app.planning.link_cache import resolved_fields
from app.planning.reference_data import YEAR_GROUPS
from app.planning.routes_editor import into_chosen_sequence
from app.reviews.approved import CHANGED_SINCE_APPROVAL, changed_since_approval
from app.reviews.services import approval_banner
from app.revisions import MergeConflict
from app.timeutil import utcnow

#: Agreed changes one lesson save can mark as addressed (the page lists the open ones).
MAX_ADDRESSED = 100


def _user() -> User:
    return current_user._get_current_object()



def _visit(user: User, page: page_data.PlanPage) -> presenters.SinceVisit | None:
    """What others changed since the reader's last visit; this visit is remembered after the
    response is sent (a read never writes inside the request), and only when it moves on."""
    if page.seen is None or page.seen < page.head.number:
        visits.record_after_response(user.id, page.item.document_id, page.head.number)
    return presenters.since_visit(page)


def _user_key() -> str:
    """Rate-limit key for a person's saves (one person's burst never slows another's)."""
    return f"saves:{getattr(current_user, 'id', request.remote_addr)}"


#: Plan saves per person, counted in the shared store (see app/throttle.py).
limit_saves = limiter.limit(lambda: current_app.config["SAVE_LIMIT"], key_func=_user_key,
                            methods=["POST"])


def _forget_browser_draft(target: str) -> None:
    """Tell the browser (on the next page) that the text it kept for `target` is saved."""
    saved = session.get("saved_drafts", [])
    session["saved_drafts"] = [*saved[-9:], target]


# --- sequences ----------------------------------------------------------------------------------


@bp.get("/sequences")
@login_required
def sequences():
    user = _user()
    include_archived = request.args.get("archived") == "1"
    group_id = request.args.get("work_group", type=int)
    year = request.args.get("year") or None
    items = services.list_sequences(user, include_archived=include_archived,
                                    work_group_id=group_id, year_group=year)
    return render_template("planning/sequences.html", sequences=items,
                           changed=changed_since_approval(items),
                           changed_label=CHANGED_SINCE_APPROVAL,
                           include_archived=include_archived, group_id=group_id, year=year,
                           groups=presenters.my_groups(user), year_groups=YEAR_GROUPS,
                           labels=presenters.LABELS)


@bp.route("/sequences/new", methods=["GET", "POST"])
@login_required
@limit_saves
def new_sequence():
    user = _user()
    form = SequenceForm()
    # ?work_group=<id>: started from that Work Group's home, so it is chosen already.
    place = presenters.default_place(user, request.args.get("work_group", type=int))
    data: dict[str, Any] = {"title": request.args.get("title", "")[:200],
                            "visibility": "work_group", **place}
    if request.method == "POST":
        data = form.plan_data()
        if form.validate():
            try:
                sequence = services.create_sequence(user, data)
            except ValidationError as error:
                form.add_errors(error.fields or {"form": error.message})
            else:
                _forget_browser_draft("sequence:new")
                flash("Sequence created. Add its lessons below.", "success")
                return redirect(url_for("planning.sequence", sequence_id=sequence.id))
    errors = form.field_errors()
    return render_template("planning/sequence_form.html", sequence=None, data=data,
                           errors=errors, draft_key="sequence:new",
                           **presenters.sequence_form_options(user)), (
        400 if errors else 200)


@bp.get("/sequences/<int:sequence_id>")
@login_required
def sequence(sequence_id: int):
    user = _user()
    page = page_data.sequence_page(user, sequence_id)
    item, head = page.item, page.head
    view = presenters.sequence_view(user, item, head)
    return render_template("planning/sequence.html", sequence=item, head=head, view=view,
                           since=_visit(user, page), labels=presenters.LABELS,
                           approval=approval_banner(user, item.document, item=item),
                           adoption_school=page.adoption_school,
                           comments=thread_from(user, "sequence", item.id, page.comments),
                           html=resolved_fields(user, head, ["small_steps", "overview"],
                                                page.links_epoch))


@bp.route("/sequences/<int:sequence_id>/edit", methods=["GET", "POST"])
@login_required
@limit_saves
def edit_sequence(sequence_id: int):
    user = _user()
    item = services.editable_sequence(user, sequence_id)
    head = services.head(item.document_id, item.document.head_number)
    form = SequenceForm()
    conflict = preview = None
    data: dict[str, Any] = presenters.sequence_form_data(head)
    base_number: int | None = head.number
    picture_field = ""
    if request.method == "POST":
        data, base_number = form.plan_data(), form.base_number.data
        if picture_requested():
            form.add_errors(add_to_text(user, "sequence", sequence_id, data,
                                        [f.key for f in SEQUENCE_TEXT_FIELDS]))
            picture_field = request.form.get("picture_field", "")
        elif form.action.data == "preview":
            preview = {f.key: render_markdown(data[f.key])
                       for f in SEQUENCE_TEXT_FIELDS if data.get(f.key)}
        elif form.validate():
            outcome = _save(lambda: services.update_sequence(
                user, sequence_id, data, base_number, form.summary.data or ""),
                SEQUENCE_TEXT_FIELDS, data, base_number, f"sequence:{sequence_id}")
            if outcome.saved:
                return redirect(url_for("planning.sequence", sequence_id=sequence_id))
            form.add_errors(outcome.errors)
            conflict, data, base_number = outcome.conflict, outcome.data, outcome.base_number
    errors = form.field_errors()
    status = 409 if conflict else 400 if errors else 200
    return render_template("planning/sequence_form.html", sequence=item, data=data,
                           errors=errors, conflict=conflict, base_number=base_number,
                           preview=preview, text_fields=SEQUENCE_TEXT_FIELDS,
                           picture_field=picture_field, draft_key=f"sequence:{sequence_id}",
                           **presenters.sequence_form_options(user)), status


@bp.post("/sequences/<int:sequence_id>/settings")
@login_required
def sequence_settings(sequence_id: int):
    form = SettingsForm()
    try:
        services.update_settings(_user(), sequence_id, form.visibility.data or "",
                                 form.status.data or "")
    except ValidationError as error:
        db.session.rollback()  # the redirect below would commit what the call did
        flash(" ".join(error.fields.values()) or error.message, "error")
        return redirect(url_for("planning.sequence", sequence_id=sequence_id)), 303
    flash("Sharing and status saved.", "success")
    return redirect(url_for("planning.sequence", sequence_id=sequence_id))


@bp.post("/sequences/<int:sequence_id>/archive")
@login_required
def archive_sequence(sequence_id: int):
    require_button()
    item = services.archive_sequence(_user(), sequence_id)
    flash(f"“{item.title}” is archived. It is hidden from lists and search; you can restore it "
          "from this page.", "success")
    return redirect(url_for("planning.sequence", sequence_id=sequence_id))


@bp.post("/sequences/<int:sequence_id>/restore")
@login_required
def restore_sequence(sequence_id: int):
    require_button()
    item = services.restore_sequence(_user(), sequence_id)
    flash(f"“{item.title}” is restored.", "success")
    return redirect(url_for("planning.sequence", sequence_id=sequence_id))


@bp.post("/sequences/<int:sequence_id>/lessons")
@login_required
@limit_saves
def add_lesson(sequence_id: int):
    form = AddLessonForm()
    try:
        if not form.validate():
            raise refusal(form)
        lesson = services.add_lesson(_user(), sequence_id, form.title.data or "",
                                     form.position.data)
    except ValidationError as error:
        db.session.rollback()  # the redirect below would commit what the call did
        flash(error.fields.get("title", error.message), "error")
        return redirect(url_for("planning.sequence", sequence_id=sequence_id) + "#add-lesson"), 303
    flash(f"Lesson “{lesson.title}” added. Fill in its plan now.", "success")
    return redirect(url_for("planning.edit_lesson", lesson_id=lesson.id))


# --- lessons ------------------------------------------------------------------------------------


@bp.get("/lessons/<int:lesson_id>")
@login_required
def lesson(lesson_id: int):
    user = _user()
    page = page_data.lesson_page(user, lesson_id, utcnow())
    item, head = page.item, page.head
    return render_template("planning/lesson.html", lesson=item, head=head,
                           since=_visit(user, page),
                           fields=LESSON_FIELDS, research=lesson_panel(user, item),
                           approval=approval_banner(user, item.document, item=item),
                           comments=thread_from(user, "lesson", item.id, page.comments),
                           view=presenters.lesson_view(user, page),
                           editing=page.editing,
                           html=resolved_fields(user, head, [f.key for f in LESSON_FIELDS],
                                                page.links_epoch))


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@login_required
@limit_saves
def edit_lesson(lesson_id: int):
    user = _user()
    item = services.editable_lesson(user, lesson_id)
    head = services.head(item.document_id, item.document.head_number)
    form = LessonForm()
    conflict = preview = None
    addresses: list[str] = []
    data: dict[str, Any] = dict(head.fields)
    base_number: int | None = head.number
    summary = picture_field = ""
    if request.method == "POST":
        data, base_number = form.plan_data(), form.base_number.data
        summary = form.summary.data or ""
        addresses = (form.addresses.data or [])[:MAX_ADDRESSED]
        if picture_requested():
            # "Add picture" without JavaScript: stored, its Markdown added to the chosen field,
            # the editor drawn again with everything typed; no revision is saved.
            form.add_errors(add_to_text(user, "lesson", lesson_id, data,
                                        [f.key for f in LESSON_FIELDS]))
            picture_field = request.form.get("picture_field", "")
        elif form.action.data == "preview":
            preview = {f.key: render_markdown(data[f.key]) for f in LESSON_FIELDS if data[f.key]}
        elif form.validate():
            def save():
                result = services.update_lesson(user, lesson_id, data, base_number, summary)
                if addresses:
                    address_changes(user, item, result.head.number if result.changed else None,
                                    addresses)
                return result

            outcome = _save(save, LESSON_FIELDS, data, base_number, f"lesson:{lesson_id}")
            if outcome.saved:
                return redirect(url_for("planning.lesson", lesson_id=lesson_id))
            form.add_errors(outcome.errors)
            conflict, data, base_number = outcome.conflict, outcome.data, outcome.base_number
    errors = form.field_errors()
    status = 409 if conflict else 400 if errors else 200
    # Opening the editor is a heartbeat (without JavaScript, the only one), written after the
    # page has gone, as visit markers are (never for a refused save or a conflict page).
    now = utcnow()
    user_id, document_id = user.id, item.document_id
    write_after_response(lambda: presence.beat(user_id, document_id, now), "an editor heartbeat")
    return render_template("planning/lesson_form.html", lesson=item, data=data, errors=errors,
                           editing=presence.others_editing(item.document_id, user.id, now),
                           material_options=presenters.material_options(),
                           agreed_changes=open_changes_for_lesson(user, item),
                           addresses=addresses,
                           conflict=conflict, preview=preview, base_number=base_number,
                           summary=summary, fields=LESSON_FIELDS, head=head,
                           sections=LESSON_SECTIONS, picture_field=picture_field,
                           draft_key=f"lesson:{lesson_id}"), status


@bp.post("/lessons/<int:lesson_id>/move")
@login_required
def move_lesson(lesson_id: int):
    try:
        item = services.move_lesson(_user(), lesson_id, MoveLessonForm().direction.data or "")
    except ValidationError as error:
        db.session.rollback()  # the redirect below would commit what the call did
        flash(error.message, "error")
        item = services.get_lesson(_user(), lesson_id)
        return redirect(url_for("planning.sequence", sequence_id=item.sequence_id)), 303
    flash(f"“{item.title}” is now lesson {item.position}.", "success")
    return redirect(url_for("planning.sequence", sequence_id=item.sequence_id)
                    + f"#lesson-{item.id}")


@bp.get("/lessons/<int:lesson_id>/move-to")
@login_required
def move_lesson_to_page(lesson_id: int):
    """Choose the sequence to move a lesson into: a searchable list, asked for on demand."""
    user = _user()
    item = services.editable_lesson(user, lesson_id)
    query = request.args.get("q", "").strip()[:200]
    return render_template("planning/move_to.html",
                           choice=presenters.move_targets(user, item, query))


@bp.post("/lessons/<int:lesson_id>/move-to")
@login_required
def move_lesson_to(lesson_id: int):
    def move_into(target_id: int):
        item = services.move_lesson_to_sequence(_user(), lesson_id, target_id)
        flash(f"Moved to “{item.sequence.title}”.", "success")
        return redirect(url_for("planning.lesson", lesson_id=lesson_id))

    return into_chosen_sequence(move_into, url_for("planning.lesson", lesson_id=lesson_id))


@bp.post("/lessons/<int:lesson_id>/archive")
@login_required
def archive_lesson(lesson_id: int):
    require_button()
    item = services.archive_lesson(_user(), lesson_id)
    flash(f"Lesson “{item.title}” is archived. You can restore it from the sequence page.",
          "success")
    return redirect(url_for("planning.sequence", sequence_id=item.sequence_id))


@bp.post("/lessons/<int:lesson_id>/restore")
@login_required
def restore_lesson(lesson_id: int):
    require_button()
    item = services.restore_lesson(_user(), lesson_id)
    flash(f"Lesson “{item.title}” is restored as lesson {item.position}.", "success")
    return redirect(url_for("planning.lesson", lesson_id=lesson_id))


@dataclass
class SaveOutcome:
    """What an edit form's save came to: saved, field errors, or a clash to resolve."""

    saved: bool
    data: dict[str, Any]
    base_number: int | None
    errors: dict[str, str] = field(default_factory=dict)
    conflict: Any = None


def _save(save: Callable[[], Any], specs, data: dict[str, Any],
          base_number: int | None, draft_key: str) -> SaveOutcome:
    """Run a plan save: flash on success (the request commits); keep the typed text otherwise."""
    try:
        result = save()
    except ValidationError as error:
        # The 400/409 page is rendered from what is stored, not from a half-done save.
        db.session.rollback()
        return SaveOutcome(False, data, base_number, errors=error.fields)
    except MergeConflict as error:
        db.session.rollback()
        # Next save is based on the newest revision, with the clean parts already merged.
        return SaveOutcome(False, presenters.merged_form(error, data), error.head.number,
                           conflict=presenters.conflict_view(error, specs))
    _forget_browser_draft(draft_key)
    _flash_saved(result)
    return SaveOutcome(True, data, base_number)


def _flash_saved(result) -> None:
    if not result.changed:
        flash("No changes to save: the plan is as it was.", "info")
        return
    message = f"Saved as revision {result.revision.number}."
    if result.merged:
        names = sorted({r.author.display_name for r in result.merged})
        numbers = ", ".join(str(r.number) for r in result.merged)
        message += (f" Someone saved while you were editing: your changes were merged with "
                    f"{' and '.join(names)}'s (revision {numbers}).")
    flash(message, "success")

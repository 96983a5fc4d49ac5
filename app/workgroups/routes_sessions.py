"""Session pages: the year, a session, its details, agenda and notes, history and calendar."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from app.errors import ValidationError
from app.extensions import db
from app.files.picture_forms import add_to_text, picture_requested
from app.forms import require_button
from app.planning import presenters
from app.planning.links import link_resolver
from app.revisions import MergeConflict, pages
from app.workgroups import links, sessions
from app.workgroups.blueprint import acting_user, bp, revision_pair
from app.workgroups.forms import NotesForm, SessionForm
from app.workgroups.models import SESSION_TYPES


def _form_page(group, session, data: dict[str, Any], errors: dict[str, str]):
    user = acting_user()
    return render_template(
        "workgroups/session_form.html", group=group, session=session, data=data,
        errors=errors, types=SESSION_TYPES, members=sessions.members(group),
        candidates=links.candidates(user, group)), 400 if errors else 200


@bp.get("/work-groups/<int:work_group_id>/sessions")
@login_required
def sessions_page(work_group_id: int):
    user = acting_user()
    group = sessions.get_group(user, work_group_id)
    return render_template("workgroups/sessions.html", group=group,
                           year=sessions.year_view(user, group))


@bp.route("/work-groups/<int:work_group_id>/sessions/new", methods=["GET", "POST"])
@login_required
def new_session(work_group_id: int):
    user = acting_user()
    group = sessions.manageable_group(user, work_group_id)
    data: dict[str, Any] = {"number": str(len(sessions.list_sessions(group,
                                                                     group.academic_year)) + 1),
                            "kind": "workshop", "attendees": [], "links": []}
    form = SessionForm()
    if request.method == "POST":
        data = form.details()
        if form.validate():
            try:
                session = sessions.create_session(user, work_group_id, data)
            except ValidationError as error:
                form.add_errors(error.fields or {"form": error.message})
            else:
                flash(f"{session.label} is planned.", "success")
                return redirect(url_for("workgroups.session", session_id=session.id))
    return _form_page(group, None, data, form.field_errors())


@bp.get("/sessions/<int:session_id>")
@login_required
def session(session_id: int):
    page = sessions.session_page(acting_user(), session_id)
    return render_template("workgroups/session.html", page=page, s=page.session)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    user = acting_user()
    item = sessions.manageable_session(user, session_id)
    data = sessions.details_form(item)
    form = SessionForm()
    if request.method == "POST":
        data = form.details()
        if form.validate():
            try:
                sessions.update_session(user, session_id, data)
            except ValidationError as error:
                form.add_errors(error.fields or {"form": error.message})
                item = sessions.manageable_session(user, session_id)
            else:
                flash("Session details saved.", "success")
                return redirect(url_for("workgroups.session", session_id=session_id))
    return _form_page(item.work_group, item, data, form.field_errors())


@bp.route("/sessions/<int:session_id>/notes", methods=["GET", "POST"])
@login_required
def edit_notes(session_id: int):
    user = acting_user()
    item = sessions.notes_editable_session(user, session_id)
    current = sessions.head(item)
    data: dict[str, Any] = dict(current.fields)
    base: int | None = current.number
    summary = ""
    form = NotesForm()
    conflict = None
    picture_field = ""
    if request.method == "POST":
        data, base, summary = form.texts(), form.base_number.data, form.summary.data or ""
        if picture_requested():
            # "Add picture" without JavaScript: stored, its Markdown added to the chosen
            # notes, the form drawn again with everything typed; nothing is saved.
            form.add_errors(add_to_text(user, "session", session_id, data,
                                        [f.key for f in sessions.NOTE_FIELDS]))
            picture_field = request.form.get("picture_field", "")
        elif form.validate():
            try:
                result = sessions.save_notes(user, session_id, data, base, summary)
            except ValidationError as error:
                # The 400/409 page is rendered from what is stored, not a half-done save.
                db.session.rollback()
                form.add_errors(error.fields or {"form": error.message})
            except MergeConflict as error:
                db.session.rollback()
                conflict = presenters.conflict_view(error, sessions.NOTE_FIELDS)
                data = presenters.merged_form(error, data)
                base = error.head.number
            else:
                _flash_saved(result)
                return redirect(url_for("workgroups.session", session_id=session_id))
            item = sessions.notes_editable_session(user, session_id)
    errors = form.field_errors()
    status = 409 if conflict else 400 if errors else 200
    return render_template("workgroups/notes_form.html", s=item, data=data, errors=errors,
                           conflict=conflict, base_number=base, summary=summary,
                           fields=sessions.NOTE_FIELDS, picture_field=picture_field), status


def _flash_saved(result) -> None:
    if not result.changed:
        flash("No changes to save: it is as it was.", "info")
        return
    message = f"Saved as revision {result.revision.number}."
    if result.merged:
        names = sorted({r.author.display_name for r in result.merged})
        message += (" Someone saved while you were editing: your changes were merged with "
                    f"{' and '.join(names)}'s.")
    flash(message, "success")


# --- history ------------------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/history")
@login_required
def session_history(session_id: int):
    user = acting_user()
    item = sessions.get_session(user, session_id)
    page = pages.history_page(sessions.subject(user, item))
    return render_template("revisions/history.html", page=page, subject=page.subject)


@bp.get("/sessions/<int:session_id>/revisions/<int:number>")
@login_required
def session_revision(session_id: int, number: int):
    user = acting_user()
    page = sessions.revision_page(user, sessions.get_session(user, session_id), number)
    return render_template("revisions/revision.html", page=page, subject=page.subject)


@bp.get("/sessions/<int:session_id>/compare")
@login_required
def session_compare(session_id: int):
    user = acting_user()
    a, b = revision_pair()
    item = sessions.get_session(user, session_id)
    comparison = pages.compare(sessions.subject(user, item), a, b, sessions.notes_display,
                               link_resolver(user))
    view = pages.comparison_view(request.args.get("view"))
    return render_template("revisions/compare.html", c=comparison, subject=comparison.subject,
                           view=view)


@bp.post("/sessions/<int:session_id>/revisions/<int:number>/restore")
@login_required
def session_restore(session_id: int, number: int):
    require_button()
    result = sessions.restore_notes(acting_user(), session_id, number)
    if result.changed:
        flash(f"Revision {number} restored as revision {result.head.number}.", "success")
    else:
        flash(f"Revision {number} is the same as the current version: nothing to restore.",
              "info")
    return redirect(url_for("workgroups.session", session_id=session_id))


# --- calendar -----------------------------------------------------------------------------------


@bp.get("/work-groups/<int:work_group_id>/sessions.ics")
@login_required
def sessions_calendar(work_group_id: int) -> Response:
    filename, body = sessions.calendar(
        acting_user(), work_group_id,
        lambda session_id: url_for("workgroups.session", session_id=session_id, _external=True))
    response = Response(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

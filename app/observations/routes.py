"""Research lesson pages: schedule, read, observe, discuss, agree changes, timelines."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.accounts.services import get_work_group
from app.errors import ValidationError
from app.extensions import db
from app.files.picture_forms import add_to_text, picture_requested
from app.forms import refusal, require_button
from app.observations import services, timeline
from app.observations.forms import (
    NOTICING_KEYS,
    PUPIL_KEYS,
    AddressForm,
    AgreedChangeForm,
    DeclineForm,
    DiscussionForm,
    ObservationForm,
    ResearchLessonForm,
)
from app.observations.models import CHANGE_STATUSES, PHASES, VISIBILITY
from app.planning.fields import LESSON_FIELDS
from app.planning.reference_data import YEAR_GROUPS

bp = Blueprint("observations", __name__)

#: Blank rows offered under what is already recorded (the form works without JavaScript).
BLANK_ROWS = 3

LABELS: dict[str, Any] = {
    "year_group": dict(YEAR_GROUPS), "visibility": VISIBILITY, "phase": PHASES,
    "field": {f.key: f.label for f in LESSON_FIELDS}, "status": CHANGE_STATUSES,
}


def _user() -> User:
    return current_user._get_current_object()


def _page(template: str, status: int = 200, **context: Any):
    return render_template(template, labels=LABELS, fields=LESSON_FIELDS, phases=PHASES,
                           **context), status


# --- list and schedule ----------------------------------------------------------------------------


@bp.get("/research-lessons")
@login_required
def research_lessons():
    user = _user()
    # ?work_group=<id>: one Work Group's research lessons, under its sub-navigation.
    group_id = request.args.get("work_group", type=int)
    group = get_work_group(user, group_id) if group_id else None
    return _page("observations/research_lessons.html", group=group,
                 research_lessons=services.list_page(user, group_id))


@bp.route("/lessons/<int:lesson_id>/research-lessons/new", methods=["GET", "POST"])
@login_required
def new_research_lesson(lesson_id: int):
    user = _user()
    form = services.schedule_form(user, lesson_id, request.args.get("revision", type=int))
    posted = ResearchLessonForm()
    if request.method == "POST":
        form.data = posted.details()
        if posted.validate():
            try:
                research_lesson = services.schedule_research_lesson(user, lesson_id, form.data)
            except ValidationError as error:
                # The page is drawn again: drop the half-built research lesson the call had
                # attached to the lesson, so nothing can autoflush it while rendering.
                db.session.rollback()
                posted.add_errors(error.fields or {"form": error.message})
            else:
                flash("Research lesson scheduled. Observers can record their notes on its "
                      "page.", "success")
                return redirect(url_for("observations.research_lesson",
                                        research_lesson_id=research_lesson.id))
    errors = posted.field_errors()
    return _page("observations/research_lesson_form.html", 400 if errors else 200, form=form,
                 errors=errors)


@bp.route("/research-lessons/<int:research_lesson_id>/edit", methods=["GET", "POST"])
@login_required
def edit_research_lesson(research_lesson_id: int):
    user = _user()
    form = services.edit_form(user, research_lesson_id)
    posted = ResearchLessonForm()
    if request.method == "POST":
        form.data = posted.details()
        if posted.validate():
            try:
                services.update_research_lesson(user, research_lesson_id, form.data)
            except ValidationError as error:
                posted.add_errors(error.fields or {"form": error.message})
            else:
                flash("Research lesson details saved.", "success")
                return redirect(url_for("observations.research_lesson",
                                        research_lesson_id=research_lesson_id))
    errors = posted.field_errors()
    return _page("observations/research_lesson_form.html", 400 if errors else 200, form=form,
                 errors=errors)


@bp.get("/research-lessons/<int:research_lesson_id>")
@login_required
def research_lesson(research_lesson_id: int):
    page = services.research_lesson_page(_user(), research_lesson_id)
    return _page("observations/research_lesson.html", page=page, rl=page.research_lesson,
                 errors={})


# --- observations ---------------------------------------------------------------------------------


def _padded(data: dict[str, Any], extra: int = BLANK_ROWS) -> dict[str, Any]:
    """Add blank rows below what is recorded, so more can be typed in without JavaScript."""
    data = dict(data)
    data["pupils"] = list(data["pupils"]) + [dict.fromkeys(PUPIL_KEYS, "")] * extra
    data["noticings"] = list(data["noticings"]) + [dict.fromkeys(NOTICING_KEYS, "")] * extra
    return data


def _observation_post(save, research_lesson_id: int
                      ) -> tuple[Any, dict[str, Any], dict[str, str]]:
    posted = ObservationForm()
    data = posted.notes()
    if picture_requested():
        # "Add picture" without JavaScript: its Markdown goes at the end of the responses,
        # the form comes back with every row typed; nothing is saved.
        return None, data, add_to_text(_user(), "observation", research_lesson_id, data,
                                       ["responses"])
    if posted.validate():
        try:
            observation = save(data)
        except ValidationError as error:
            # The form is drawn again: drop the new observation the call had attached to the
            # research lesson, so the page shows what is stored.
            db.session.rollback()
            posted.add_errors(error.fields or {"form": error.message})
        else:
            return observation, data, {}
    return None, data, posted.field_errors()


def _after_observation_save(observation) -> Any:
    flash("Observation saved.", "success")
    if ObservationForm().action.data == "more":
        return redirect(url_for("observations.edit_observation", observation_id=observation.id,
                                more=1) + "#noticings")
    return redirect(url_for("observations.research_lesson",
                            research_lesson_id=observation.research_lesson_id)
                    + f"#observation-{observation.id}")


@bp.route("/research-lessons/<int:research_lesson_id>/my-observation",
          methods=["GET", "POST"])
@login_required
def my_observation(research_lesson_id: int):
    user = _user()
    form = services.my_observation(user, research_lesson_id)
    if form.observation is not None and request.method == "GET":
        return redirect(url_for("observations.edit_observation",
                                observation_id=form.observation.id))
    errors: dict[str, str] = {}
    data = _padded(form.data)
    if request.method == "POST":
        observation, data, errors = _observation_post(
            lambda posted: services.save_my_observation(user, research_lesson_id, posted),
            research_lesson_id)
        if observation is not None:
            return _after_observation_save(observation)
    return _page("observations/observation_form.html", 400 if errors else 200, form=form,
                 rl=form.research_lesson, data=data, errors=errors)


@bp.route("/observations/<int:observation_id>/edit", methods=["GET", "POST"])
@login_required
def edit_observation(observation_id: int):
    user = _user()
    form = services.observation_form(user, observation_id)
    errors: dict[str, str] = {}
    data = _padded(form.data, BLANK_ROWS * (2 if request.args.get("more") else 1))
    if request.method == "POST":
        observation, data, errors = _observation_post(
            lambda posted: services.update_observation(user, observation_id, posted),
            form.research_lesson.id)
        if observation is not None:
            return _after_observation_save(observation)
    return _page("observations/observation_form.html", 400 if errors else 200, form=form,
                 rl=form.research_lesson, data=data, errors=errors)


@bp.get("/observations/<int:observation_id>")
@login_required
def observation(observation_id: int):
    found = services.get_observation(_user(), observation_id)
    return redirect(url_for("observations.research_lesson",
                            research_lesson_id=found.research_lesson_id)
                    + f"#observation-{found.id}")


# --- discussion and agreed changes --------------------------------------------------------------


@bp.route("/research-lessons/<int:research_lesson_id>/discussion", methods=["GET", "POST"])
@login_required
def discussion(research_lesson_id: int):
    user = _user()
    rl, data = services.discussion_form(user, research_lesson_id)
    posted = DiscussionForm()
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = posted.texts()
        if picture_requested():
            errors = add_to_text(user, "observation", research_lesson_id, data,
                                 list(data))
        elif posted.validate():
            try:
                services.save_discussion(user, research_lesson_id, data)
            except ValidationError as error:
                posted.add_errors(error.fields or {"form": error.message})
            else:
                flash("Discussion saved. Record the changes you agreed below it.", "success")
                return redirect(url_for("observations.research_lesson",
                                        research_lesson_id=research_lesson_id)
                                + "#agreed-changes")
    errors = {**posted.field_errors(), **errors}
    return _page("observations/discussion_form.html", 400 if errors else 200, rl=rl, data=data,
                 errors=errors)


def _page_with_errors(research_lesson_id: int, errors: dict[str, str], **data: Any):
    """The research lesson page again, with a form's errors and what was typed."""
    page = services.research_lesson_page(_user(), research_lesson_id)
    return _page("observations/research_lesson.html", 400, page=page, rl=page.research_lesson,
                 errors=errors, data=data)


@bp.post("/research-lessons/<int:research_lesson_id>/changes")
@login_required
def add_change(research_lesson_id: int):
    posted = AgreedChangeForm()
    text, field_key = posted.change_text.data or "", posted.change_field.data or ""
    try:
        change = services.add_agreed_change(_user(), research_lesson_id, text, field_key)
    except ValidationError as error:
        posted.add_errors(error.fields)
        return _page_with_errors(research_lesson_id, posted.field_errors(), change_text=text,
                                 change_field=field_key)
    flash("Agreed change added. It stays open until a revision of the plan addresses it.",
          "success")
    return redirect(url_for("observations.research_lesson",
                            research_lesson_id=research_lesson_id) + f"#change-{change.id}")


@bp.post("/agreed-changes/<int:change_id>/decline")
@login_required
def decline_change(change_id: int):
    reason = DeclineForm().reason.data or ""
    try:
        change = services.decline_change(_user(), change_id, reason)
    except ValidationError as error:
        change = services.get_change(_user(), change_id)
        return _page_with_errors(change.research_lesson_id,
                                 {f"reason-{change_id}": error.fields.get("reason", "")},
                                 reason_for=change_id, reason=reason)
    flash("Change declined; the reason is kept with it.", "success")
    return _to_change(change)


@bp.post("/agreed-changes/<int:change_id>/reopen")
@login_required
def reopen_change(change_id: int):
    require_button()
    change = services.reopen_change(_user(), change_id)
    flash("Change reopened.", "success")
    return _to_change(change)


@bp.post("/agreed-changes/<int:change_id>/address")
@login_required
def address_change(change_id: int):
    posted = AddressForm()
    try:
        if not posted.validate():
            raise refusal(posted)
        change = services.mark_addressed(_user(), change_id, posted.revision_number.data)
    except ValidationError as error:
        change = services.get_change(_user(), change_id)
        return _page_with_errors(change.research_lesson_id,
                                 {f"revision-{change_id}": " ".join(error.fields.values())
                                  or error.message})
    flash(f"Marked as addressed in revision {change.addressed_revision_number}.", "success")
    return _to_change(change)


def _to_change(change) -> Any:
    return redirect(url_for("observations.research_lesson",
                            research_lesson_id=change.research_lesson_id)
                    + f"#change-{change.id}", code=303)


# --- timelines ----------------------------------------------------------------------------------


@bp.get("/lessons/<int:lesson_id>/timeline")
@login_required
def lesson_timeline(lesson_id: int):
    lesson, events = timeline.lesson_page(_user(), lesson_id)
    return _page("observations/timeline.html", lesson=lesson, sequence=lesson.sequence,
                 events=events, of_sequence=False, threads=timeline.threads(_user(), [lesson]))


@bp.get("/sequences/<int:sequence_id>/timeline")
@login_required
def sequence_timeline(sequence_id: int):
    sequence, events = timeline.sequence_page(_user(), sequence_id)
    return _page("observations/timeline.html", lesson=None, sequence=sequence, events=events,
                 of_sequence=True, threads=timeline.threads(_user(), list(sequence.lessons)))

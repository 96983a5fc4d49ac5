"""Review pages: the reviewer's queue, asking for a review, the review screen, approved versions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.accounts.models import User
from app.core.text import is_whole_number
from app.errors import NotFound, RevisionConflict, ValidationError
from app.extensions import db
from app.planning.history import Kind
from app.reviews import services
from app.reviews.forms import FIELD_PREFIX, AdoptionForm, DecisionForm, SubmitReviewForm
from app.reviews.models import DECISIONS, OUTCOMES

bp = Blueprint("reviews", __name__)


def _user() -> User:
    return current_user._get_current_object()


def _kind_and_id(form: SubmitReviewForm) -> tuple[str, int]:
    kind, item_id = form.kind.data or "", form.id.data or ""
    if kind not in ("lesson", "sequence") or not is_whole_number(item_id):
        raise NotFound()
    return kind, int(item_id)


@bp.get("/reviews")
@login_required
def queue() -> str:
    return render_template("reviews/queue.html", queue=services.queue(_user()),
                           outcomes=OUTCOMES)


@bp.route("/reviews/new", methods=["GET", "POST"])
@login_required
def new():
    user = _user()
    # The plan comes with the form when posted, and in the address (?kind=&id=) to show it.
    form = SubmitReviewForm() if request.method == "POST" else SubmitReviewForm(
        formdata=request.args)
    kind, item_id = _kind_and_id(form)
    school_id, reviewer_id = form.school_and_reviewer()
    data = {"school_id": str(school_id or ""), "reviewer_id": str(reviewer_id or ""),
            "note": form.note.data}
    if form.validate_on_submit():
        try:
            review = services.submit_for_review(user, kind, item_id, school_id, reviewer_id,
                                                form.note.data or "", form.revision_number.data)
        except ValidationError as error:
            form.add_errors(error.fields or {"form": error.message})
        else:
            flash(f"Review requested from {review.reviewer.display_name}.", "success")
            return redirect(url_for("reviews.review", review_id=review.id))
    errors = form.field_errors()
    options = services.submit_options(user, kind, item_id)
    return render_template("reviews/new.html", options=options, subject=options.target,
                           data=data, errors=errors), 400 if errors else 200


def _screen(review_id: int, errors: dict[str, str] | None = None,
            form: dict[str, str] | None = None, status: int = 200):
    screen = services.review_screen(_user(), review_id)
    view = "side" if request.args.get("view") == "side" and not screen.diff.is_first \
        else "inline"
    return render_template("reviews/review.html", s=screen, subject=screen.subject,
                           lessons=services.lesson_changes(screen.request,
                                                           screen.subject.sequence)
                           if screen.subject.kind == "sequence" else [],
                           view=view, errors=errors or {}, form=form or {},
                           decisions=DECISIONS, outcomes=OUTCOMES), status


@bp.get("/reviews/<int:review_id>")
@login_required
def review(review_id: int):
    return _screen(review_id)


@bp.post("/reviews/<int:review_id>/decide")
@login_required
def decide(review_id: int):
    form = DecisionForm()
    fields = form.part_comments()
    if form.validate_on_submit():
        try:
            record = services.decide(_user(), review_id, form.decision.data or "",
                                     form.comment.data or "", fields, form.revision_number.data,
                                     form.lesson_numbers())
        except ValidationError as error:
            form.add_errors(error.fields or {"form": error.message})
        except RevisionConflict as error:
            db.session.rollback()  # the redirect below would commit what the call did
            flash(error.message, "error")
            return redirect(url_for("reviews.review", review_id=review_id)), 303
        else:
            flash({"approve": f"Approved: revision {record.revision_number} is now the "
                              "approved version for the school.",
                   "request_changes": "Sent back to the author with your comments.",
                   "comment": "Comment added; the review stays open."}[record.decision],
                  "success")
            return redirect(url_for("reviews.review", review_id=review_id))
    typed = {"decision": form.decision.data or "", "comment": form.comment.data or "",
             **{FIELD_PREFIX + k: v for k, v in fields.items()}}
    return _screen(review_id, form.field_errors(), typed, 400)


def _approved(kind: Kind, item_id: int) -> str:
    school = request.args.get("school", "")
    school_id = int(school) if is_whole_number(school) and int(school) <= 2**31 - 1 else None
    page, approval = services.approved_page(_user(), kind, item_id, school_id)
    return render_template("reviews/approved.html", page=page, subject=page.subject,
                           approval=approval,
                           pinned=services.pinned_lessons(_user(), approval.approval_id))


@bp.get("/lessons/<int:lesson_id>/approved")
@login_required
def lesson_approved(lesson_id: int) -> str:
    return _approved("lesson", lesson_id)


@bp.get("/sequences/<int:sequence_id>/approved")
@login_required
def sequence_approved(sequence_id: int) -> str:
    return _approved("sequence", sequence_id)


@bp.post("/sequences/<int:sequence_id>/request-approval")
@login_required
def request_adoption(sequence_id: int):
    form = AdoptionForm()
    if not form.validate_on_submit():
        flash("Choose the school to ask approval for, then try again.", "error")
        return redirect(url_for("planning.sequence", sequence_id=sequence_id)), 303
    try:
        review = services.request_adoption(_user(), sequence_id, form.school_id.data)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("planning.sequence", sequence_id=sequence_id)), 303
    flash(f"Approval for {review.school.name} requested from {review.reviewer.display_name}.",
          "success")
    return redirect(url_for("reviews.review", review_id=review.id)), 303

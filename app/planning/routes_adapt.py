"""Adapting a sequence into my school or Work Group."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.text import is_whole_number
from app.errors import ValidationError
from app.forms import form_text
from app.planning import adapt, presenters, services
from app.planning.blueprint import bp


@bp.route("/sequences/<int:sequence_id>/adapt", methods=["GET", "POST"])
@login_required
def adapt_sequence(sequence_id: int):
    user = current_user._get_current_object()
    source = services.get_sequence(user, sequence_id)
    errors: dict[str, str] = {}
    data = presenters.default_place(user)
    if request.method == "POST":
        data = {"work_group_id": form_text("work_group_id", 20),
                "school_id": form_text("school_id", 20)}
        try:
            copy = adapt.adapt_sequence(
                user, sequence_id, int(data["work_group_id"] or 0)
                if is_whole_number(data["work_group_id"]) else 0,
                int(data["school_id"]) if is_whole_number(data["school_id"]) else 0)
        except ValidationError as error:
            errors = error.fields
        else:
            flash(f"Your copy of “{source.title}” is ready to adapt. It remembers where it came "
                  "from and will tell you when the original changes.", "success")
            return redirect(url_for("planning.sequence", sequence_id=copy.id))
    return render_template("planning/adapt.html", source=source, data=data, errors=errors,
                           **presenters.sequence_form_options(user)), 400 if errors else 200

"""Adapting a sequence into my school or Work Group."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.errors import ValidationError
from app.planning import adapt, presenters, services
from app.planning.blueprint import bp
from app.planning.forms import AdaptForm


@bp.route("/sequences/<int:sequence_id>/adapt", methods=["GET", "POST"])
@login_required
def adapt_sequence(sequence_id: int):
    user = current_user._get_current_object()
    source = services.get_sequence(user, sequence_id)
    form = AdaptForm()
    data = presenters.default_place(user)
    if request.method == "POST":
        data = form.place()
        if form.validate():
            try:
                # No choice names no Work Group or school: the service says which to choose.
                copy = adapt.adapt_sequence(user, sequence_id, form.work_group_id.data or 0,
                                            form.school_id.data or 0)
            except ValidationError as error:
                form.add_errors(error.fields or {"form": error.message})
            else:
                flash(f"Your copy of “{source.title}” is ready to adapt. It remembers where it "
                      "came from and will tell you when the original changes.", "success")
                return redirect(url_for("planning.sequence", sequence_id=copy.id))
    errors = form.field_errors()
    return render_template("planning/adapt.html", source=source, data=data, errors=errors,
                           **presenters.sequence_form_options(user)), 400 if errors else 200

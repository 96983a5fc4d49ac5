"""Admin forms: hubs, schools, Work Groups, members, invitations and account actions.

The forms check shape (present, short enough, one of the offered choices, whole numbers);
the accounts services keep the rules that need the database (a free URN, a school of this
Work Group, an existing account) and say so with the same wording.
"""

from __future__ import annotations

from typing import Any

from wtforms import Field, StringField
from wtforms import ValidationError as WTFormsValidationError
from wtforms.validators import AnyOf, InputRequired, Length, Optional, Regexp

from app.accounts.models import PHASES, PROGRAMME_STAGES, WG_ROLES
from app.core.text import is_whole_number
from app.forms import CoplanForm, ValuesField, WholeNumberField, clip

#: Text is cut just past what any check allows, so a check still says "too long" cheaply.
_TEXT = [clip(1000)]
SCHOOL_MESSAGE = "Choose one of this Work Group's schools."
ROLES_MESSAGE = "Choose at least one role from the list."


class WholeNumbersField(Field):
    """Ticked checkboxes of ids: the ones that are whole numbers (others name no row)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = [int(v) for v in valuelist if is_whole_number(v)]

    def _value(self) -> str:
        return ""


def _roles_from_list(form: CoplanForm, field: ValuesField) -> None:
    if not field.data or any(role not in WG_ROLES for role in field.data):
        raise WTFormsValidationError(ROLES_MESSAGE)


class HubForm(CoplanForm):
    """A new hub (its name is shown in a flash message when wrong)."""

    name = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message="Enter the hub's name (up to 200 characters)."),
        Length(max=200, message="Enter the hub's name (up to 200 characters).")])
    region = StringField(default="", filters=_TEXT)


class SchoolForm(CoplanForm):
    """A school's name, phase and optional URN."""

    name = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message="Enter the school's name (up to 200 characters)."),
        Length(max=200, message="Enter the school's name (up to 200 characters).")])
    phase = StringField(default="primary", validators=[
        AnyOf(list(PHASES), message="Choose a phase from the list.")])
    # ASCII digits only ([0-9], not \d, which takes any script's digits).
    urn = StringField(default="", filters=_TEXT, validators=[Regexp(
        r"^\s*([0-9]{5,8})?\s*$",
        message="A URN is 6 digits, e.g. 100000. Leave it empty if you do not know it.")])


class WorkGroupForm(CoplanForm):
    """A Work Group's hub (when new), code, title, stage, phase, year and schools."""

    hub_id = WholeNumberField(validators=[Optional()])
    project_code = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message="Enter the project code, e.g. NCP 24-11."),
        Length(max=40, message="Enter the project code, e.g. NCP 24-11.")])
    title = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message="Enter a title (up to 200 characters)."),
        Length(max=200, message="Enter a title (up to 200 characters).")])
    programme_stage = StringField(default="sustaining", validators=[
        AnyOf(list(PROGRAMME_STAGES), message="Choose a programme stage from the list.")])
    phase = StringField(default="primary", validators=[
        AnyOf(list(PHASES), message="Choose a phase from the list.")])
    academic_year = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message="Write the academic year like 2024/25.")])
    school_ids = WholeNumbersField(default=list)

    def service_data(self) -> dict[str, Any]:
        """The fields the service saves (school_ids go separately)."""
        data = {k: v for k, v in self.data.items() if k != "school_ids"}
        data["hub_id"] = "" if data["hub_id"] is None else str(data["hub_id"])
        return data


class _SchoolChoice(CoplanForm):
    """A school of the Work Group, or none (hub staff)."""

    school_id = WholeNumberField(validators=[Optional()])

    def __init__(self, *args: Any, school_ids: set[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._school_ids = school_ids

    def validate_school_id(self, field: WholeNumberField) -> None:
        if field.data is not None and self._school_ids is not None \
                and field.data not in self._school_ids:
            raise WTFormsValidationError(SCHOOL_MESSAGE)


class AddMemberForm(_SchoolChoice):
    """Add someone who already has an account, with roles and a school."""

    email = StringField(default="", filters=_TEXT, validators=[Length(max=254, message=(
        "No account uses this e-mail. Send an invitation instead."))])
    roles = ValuesField(default=list, validators=[_roles_from_list])


class UpdateMemberForm(_SchoolChoice):
    """Save a member's roles and school, or remove them (the button pressed says which)."""

    action = StringField(default="save", validators=[AnyOf(["save", "remove"])])
    roles = ValuesField(default=list)

    def validate_roles(self, field: ValuesField) -> None:
        if self.action.data != "remove":
            _roles_from_list(self, field)


class InviteForm(_SchoolChoice):
    """An invitation link: the newcomer's name, one or more roles, an optional school and an
    optional e-mail."""

    name = StringField(default="", filters=_TEXT, validators=[Length(
        max=120, message="Write their name in up to 120 characters, or leave it empty.")])
    email = StringField(default="", filters=_TEXT, validators=[
        Length(max=254, message="Enter an e-mail address like name@school.org.uk, "
                                "or leave it empty.")])
    roles = ValuesField(default=list)
    #: One role, as the form sent it before it took several; used when no box is ticked.
    role = StringField(default="")

    def chosen_roles(self) -> list[str]:
        """The ticked roles, or the single `role` an older form or script sent."""
        if self.roles.data:
            return list(self.roles.data)
        return [self.role.data] if self.role.data else []

    def validate_roles(self, field: ValuesField) -> None:
        chosen = self.chosen_roles()
        if not chosen or any(role not in WG_ROLES for role in chosen):
            raise WTFormsValidationError(ROLES_MESSAGE)



class UserActionForm(CoplanForm):
    """One of the buttons on a person's admin page."""

    action = StringField(default="", validators=[AnyOf(["reset", "disable", "enable"])])

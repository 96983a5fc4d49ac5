"""Forms: the WTForms base every feature's forms derive from, and small input helpers.

Each feature keeps its form classes in its own `forms.py`. A form checks the shape of what
was typed (present, a whole number, one of the offered choices); services keep the domain
rules and raise `ValidationError(fields=...)`, which `CoplanForm.add_errors` shows beside the
same fields. Templates read `form.field_errors()`: one message per field, keyed by its name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import Field, IntegerField
from wtforms import ValidationError as WTFormsValidationError

from app.core.text import is_whole_number
from app.errors import ValidationError


class CoplanForm(FlaskForm):
    """Base form. CSRF is checked for every POST by CSRFProtect before any view runs, so the
    form does not check it a second time (one message, one place); templates still render the
    token with `form.hidden_tag()` or `csrf_token()`."""

    class Meta:
        csrf = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._domain_errors: dict[str, str] = {}

    def add_errors(self, fields: dict[str, str]) -> None:
        """Show a service's field errors (ValidationError.fields) with the form's own."""
        self._domain_errors.update({k: v for k, v in fields.items() if v})

    def field_errors(self) -> dict[str, str]:
        """The first message for each field with a problem, then the service's; "form" for
        a problem with the whole form."""
        found = {name: messages[0] for name, messages in self.errors.items()
                 if isinstance(messages, list) and messages and isinstance(messages[0], str)}
        return {**found, **self._domain_errors}


class EmptyForm(CoplanForm):
    """For POST-only buttons (archive, watch, resolve): nothing but the CSRF token."""


def refusal(form: CoplanForm) -> ValidationError:
    """A form that did not validate as the service's error: its first message for a flash or
    a 400 page, and every field's for a form page."""
    errors = form.field_errors()
    return ValidationError(next(iter(errors.values()), ""), fields=errors)


def require_button() -> EmptyForm:
    """Mark a view as a POST-only button's (archive, watch, resolve) and give it the form.

    It checks nothing: EmptyForm has no fields, every caller is a POST-only route, and
    CSRFProtect has refused a POST without a valid token before the view runs.
    """
    return EmptyForm()


class WholeNumberField(IntegerField):
    """A whole number as ASCII digits within the database's range.

    IntegerField would take "٣" or a number of thousands of digits (int() accepts both); ids
    and counts here are plain digits, as `app/input.py` requires of every other number.
    """

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or valuelist[0] == "":
            self.data = None
            return
        if not is_whole_number(valuelist[0]):
            self.data = None
            raise WTFormsValidationError(self.gettext("Enter a whole number."))
        self.data = int(valuelist[0])


class WordedNumberField(WholeNumberField):
    """A whole number whose wrong spelling gets its form's own words ("Choose one of your
    Work Groups.", "Enter the session number as a whole number from 1 to 99...")."""

    def __init__(self, label: str | None = None, validators: Any = None, *,
                 message: str, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise WTFormsValidationError(self.message) from error


class BaseRevisionField(WholeNumberField):
    """The revision an edit was based on (a hidden field). Anything but a whole number reads
    as none: the revision engine then shows a clash to resolve (409), so a forged base can
    never overwrite someone's newer text, and there is no box for an error to stand beside."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class ValuesField(Field):
    """Every value sent under one name (checkbox groups, repeated rows), as a list of text.

    The names are listed in `app/input.py` MULTI_VALUED; the service checks each value."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist)

    def _value(self) -> str:
        return ""


def clip(limit: int) -> Callable[[Any], Any]:
    """A filter cutting text just past `limit`, so the service can still say it is too long
    without working through megabytes (plan text is never clipped: it comes back whole)."""

    def clipped(value: Any) -> Any:
        return value[: limit + 1] if isinstance(value, str) else value

    return clipped


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login; anything else is ignored."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers drop tabs and newlines ("/\t//evil" is "///evil") and read "\\" as "/".
    if "\\" in target or any(c < " " or c == "\x7f" for c in target):
        return None
    return target

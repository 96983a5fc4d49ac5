"""Forms for logging in, changing a password, joining by invitation and resetting a password.

Passwords are checked by the service (length rules, matching confirmation): the forms only
say they were sent. Messages match the service's, so a user sees one wording for one problem.
"""

from __future__ import annotations

from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length, Regexp

from app.forms import CoplanForm, clip

#: Text is cut just past what any check allows, so a check still says "too long" cheaply.
_TEXT = [clip(1000)]
EMAIL_MESSAGE = "Enter an e-mail address like name@school.org.uk."
NAME_MESSAGE = "Enter your name (up to 120 characters)."
#: Something, an "@", something; no spaces inside (spaces around it are trimmed later).
EMAIL_SHAPE = r"^\s*[^\s@][^\s]*@[^\s]*[^\s@]\s*$"


class LoginForm(CoplanForm):
    """E-mail and password; any problem is the one "not right" message, so nothing leaks."""

    email = StringField(default="", filters=_TEXT, validators=[InputRequired(), Length(max=254)])
    password = PasswordField(default="", validators=[InputRequired()])


class ChangePasswordForm(CoplanForm):
    """The signed-in user's own password change."""

    current_password = PasswordField(default="", validators=[
        InputRequired(message="That is not your current password.")])
    new_password = PasswordField(default="")
    confirm = PasswordField(default="")


class InvitationForm(CoplanForm):
    """Sign up from an invitation (someone signed in joins with the button alone)."""

    display_name = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message=NAME_MESSAGE), Length(max=120, message=NAME_MESSAGE)])
    email = StringField(default="", filters=_TEXT, validators=[
        InputRequired(message=EMAIL_MESSAGE), Length(max=254, message=EMAIL_MESSAGE),
        Regexp(EMAIL_SHAPE, message=EMAIL_MESSAGE)])
    #: Optional; the service keeps the first 200 characters of one line.
    job_title = StringField(default="", filters=_TEXT)
    password = PasswordField(default="")
    confirm = PasswordField(default="")


class ResetPasswordForm(CoplanForm):
    """A new password from a one-time reset link."""

    password = PasswordField(default="")
    confirm = PasswordField(default="")

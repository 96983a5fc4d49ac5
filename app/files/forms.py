"""The upload form: one file input (a new file, or a new version of one)."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired

from app.forms import CoplanForm

NO_FILE = "Choose a file to upload."


class UploadForm(CoplanForm):
    """A file sent with the page's form (multipart); what it is, is decided from its bytes."""

    file = FileField("File", validators=[FileRequired(message=NO_FILE)])

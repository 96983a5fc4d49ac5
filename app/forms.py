"""Small helpers for plain HTML forms: services validate, routes collect input."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def form_text(name: str, limit: int | None = 100_000) -> str:
    """A form field as text (already normalised by app/input.py).

    With a limit it is cut just past it, so the service can still say it is too long; plan
    text passes None and comes back whole with its field error (the request size bounds it).
    """
    value = request.form.get(name, "")
    return value if limit is None else value[: limit + 1]


def form_int(name: str) -> int | None:
    """A whole number within the database's range, or None."""
    return request.form.get(name, None, type=int)


def form_data(*names: str) -> dict[str, str]:
    return {name: form_text(name) for name in names}


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

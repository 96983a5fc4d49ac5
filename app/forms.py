"""Small helpers for plain HTML forms: services validate, routes collect input."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request


def form_text(name: str, limit: int = 100_000) -> str:
    """A form field as text (already normalised by app/input.py), cut just past `limit` so
    the service can say it is too long."""
    return request.form.get(name, "")[: limit + 1]


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

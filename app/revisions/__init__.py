"""Revisions: versioned documents shared by lesson plans, session notes and action plans.

The engine (app.revisions.engine) numbers snapshots under a row lock, merges a stale save three
ways and restores old versions as new ones; app.revisions.models holds the tables and
app.revisions.pages the history and comparison pages that templates/revisions/ render.
Features call the engine through this package: ``from app import revisions``.
"""

from app.revisions.engine import (
    MergeConflict,
    SaveResult,
    get_revision,
    head_revision,
    head_revisions,
    list_revisions,
    lock_document,
    new_document,
    render_fields,
    restore_revision,
    save_revision,
)

__all__ = [
    "MergeConflict",
    "SaveResult",
    "get_revision",
    "head_revision",
    "head_revisions",
    "list_revisions",
    "lock_document",
    "new_document",
    "render_fields",
    "restore_revision",
    "save_revision",
]

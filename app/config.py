"""Configuration: defaults here, then instance/config.py, then the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

#: Environment variables read into config, with the type to parse them as.
ENV_KEYS: dict[str, type] = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "SEARCH_INDEX_DIR": str,
    "SEARCH_BACKEND": str,
    "SEARCH_INDEXER": str,
    "SEARCH_INDEX_NAME": str,
    "SEARCH_MEMORY_MB": int,
    "SEARCH_BATCH_SIZE": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": bool,
    "MAIL_FROM": str,
    "SESSION_COOKIE_SECURE": bool,
    "MAX_CONTENT_LENGTH": int,
    "RATELIMIT_STORAGE_URI": str,
    "FILES_BACKEND": str,
    "FILES_DIR": str,
    "FILES_MAX_BYTES": int,
    "FILES_GROUP_QUOTA_BYTES": int,
    "FILES_EXTRACTOR": str,
    "FILES_TEXT_MAX_CHARS": int,
    "FILES_EXTRACT_TIMEOUT_S": int,
    "FILES_EXTRACT_MEMORY_MB": int,
}


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that work for a newcomer with no server: SQLite and Whoosh under instance/."""
    return {
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "coplan.sqlite"),
        "SEARCH_INDEX_DIR": os.path.join(instance_path, "search-index"),
        #: Test each pooled connection before use, so a database that went away and came
        #: back costs a reconnect rather than a failed request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        #: How long a SQLite writer waits for another writer's lock before giving up (a 503).
        "SQLITE_BUSY_TIMEOUT_MS": 30000,
        #: Seconds a 503 (database away or locked) asks clients to wait, in Retry-After.
        "DATABASE_RETRY_AFTER": 30,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # a form left open over lunch must still save
        #: Counters shared by every worker and host: a table in the database by default,
        #: or `redis://host:6379` (needs the `redis` package) when an operator runs Redis.
        "RATELIMIT_STORAGE_URI": "coplan-db://",
        #: Retry-After on a 429 tells the browser (and the person) when to try again.
        "RATELIMIT_HEADERS_ENABLED": True,
        #: Failed logins from one address; a correct login works again once the window is
        #: over (at most 5 minutes after the first failure).
        "LOGIN_LIMIT": "10 per 5 minutes",
        #: Failed logins for one account from any addresses: higher, so that someone who
        #: knows a teacher's e-mail cannot easily lock her out, but still bounded.
        "LOGIN_ACCOUNT_LIMIT": "30 per 15 minutes",
        #: Plan saves per person; other people are not affected.
        "SAVE_LIMIT": "60 per minute",
        "INVITATION_DAYS": 14,
        "RESET_HOURS": 24,
        #: "thread" rebuilds a missing index in the background, "sync" at once, "off" never.
        "SEARCH_AUTO_REBUILD": "thread",
        #: How long the indexer waits for the index writer (a rebuild swapping in) per try.
        "SEARCH_WRITE_TIMEOUT": 1.0,
        #: "whoosh" (an index per host, fed from the change log) or "postgres" (documents in
        #: the database, written with each change; needs PostgreSQL).
        "SEARCH_BACKEND": "whoosh",
        #: Who applies the change log to this host's Whoosh index: "thread" (one web worker
        #: per host, elected by a file lock), "process" (`flask search worker`, started beside
        #: the web workers) or "off" (nobody: tests apply it themselves).
        "SEARCH_INDEXER": "thread",
        #: This index's name in the log (default: host name and index directory).
        "SEARCH_INDEX_NAME": None,
        #: Memory each worker's search engine may use for caches (its index files are read
        #: from disk, not copied into memory).
        "SEARCH_MEMORY_MB": 64,
        #: How often the indexer looks for new log entries, and how many it applies at once.
        "SEARCH_POLL_SECONDS": 0.2,
        "SEARCH_BATCH_SIZE": 500,
        #: An index silent this long is no longer waited for when the log is pruned.
        "SEARCH_FORGET_DAYS": 7,
        "MAIL_SERVER": None,
        "MAIL_PORT": 25,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_FROM": "coplan@localhost",
        #: Where uploaded files live: "folder" (FILES_DIR, one host), "postgres" (chunks in the
        #: database, shared by every host) or "auto" (postgres when the database is PostgreSQL).
        "FILES_BACKEND": "auto",
        "FILES_DIR": os.path.join(instance_path, "files"),
        #: Largest file one upload may hold (25 MB); a bigger request body is a 413.
        "FILES_MAX_BYTES": 25 * 1024 * 1024,
        #: What all the files of one Work Group's plans may take together, every version
        #: and removed files included (they can be restored).
        "FILES_GROUP_QUOTA_BYTES": 2 * 1024 * 1024 * 1024,
        # The text of PDF, DOCX and PPTX files, for search (app/files/extraction.py), is read
        # after the response by a thread of the worker that took the upload; FILES_EXTRACTOR
        # "off" leaves it to `flask files extract` (cron). Unset here: tests default to "off".
        #: Characters of one file's text kept for search.
        "FILES_TEXT_MAX_CHARS": 100_000,
        #: Wall-clock seconds, and memory (the reading process's whole address space), per file.
        "FILES_EXTRACT_TIMEOUT_S": 20,
        "FILES_EXTRACT_MEMORY_MB": 512,
    }


def parse_env_value(raw: str, kind: type) -> Any:
    """Turn an environment string into the configured type."""
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(raw)
    return raw


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Config values given in the environment (DATABASE_URL maps to the SQLAlchemy URI)."""
    values: dict[str, Any] = {}
    for key, kind in ENV_KEYS.items():
        if environ.get(key):
            values[key] = parse_env_value(environ[key], kind)
    if "DATABASE_URL" in values:
        values["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(values.pop("DATABASE_URL"))
    if environ.get("FLASK_DEBUG") or environ.get("COPLAN_DEBUG"):
        values["DEBUG"] = parse_env_value(
            environ.get("COPLAN_DEBUG") or environ.get("FLASK_DEBUG", ""), bool
        )
    return values


def normalise_database_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key_from_instance(instance_path: str) -> str:
    """Read instance/secret_key, generating it on first run so no key is ever hard-coded."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create with owner-only permissions: the key signs every session cookie.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key

"""Features wire into one app at a time: two apps in one process share no registrations."""

from __future__ import annotations

import threading
import time
import uuid

from flask import Flask, current_app

from app import create_app, signals
from app.comments.targets import get_target, register_target
from app.core.markdown import LinkTarget
from app.extensions import db
from app.planning.links import material_target
from app.registry import registry
from app.search import indexer, sources


def _other_app(tmp_path) -> Flask:
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "other-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "other-index"),
    })


def test_each_app_subscribes_its_own_features_once(app, tmp_path):
    other = _other_app(tmp_path)
    for wired in (app, other):
        # notifications listens to saved revisions, observations answers review questions,
        # workgroups answers "last session": once per app, never for the other app.
        assert len(list(signals.revision_saved.receivers_for(wired))) == 1
        assert len(list(signals.review_evidence.receivers_for(wired))) == 1
        assert len(list(signals.last_session_date.receivers_for(wired))) == 1
        # notifications turns reviews' and observations' events into notifications.
        for event in (signals.review_requested, signals.review_decided,
                      signals.observation_recorded):
            assert len(list(event.receivers_for(wired))) == 1
        state = registry(wired)
        assert {"lesson", "sequence", "material", "observation"} <= set(state.search_sources)
        assert {"lesson", "sequence", "observation", "board", "action_plan"} <= set(
            state.comment_targets)
    assert registry(app) is not registry(other)
    assert registry(app).search_sources["lesson"] is not registry(other).search_sources["lesson"]


def test_a_handler_registered_on_one_app_never_answers_for_another(app, tmp_path):
    other = _other_app(tmp_path)
    special = LinkTarget("/materials/special", "Special")
    # "id:abc" is not a material id, so the materials feature itself answers None for it.
    signals.material_link.connect(lambda _app, *, key: special if key == "id:abc" else None,
                                  sender=app, weak=False)
    with app.test_request_context():
        assert material_target("id:abc") == special
    with other.test_request_context():
        assert material_target("id:abc") is None


def test_search_sources_and_comment_targets_stay_with_their_app(app, tmp_path):
    other = _other_app(tmp_path)
    sources.register(app, sources.Source(
        "widget", build=lambda _id: None, all_ids=lambda: iter(()), keys_for=lambda _obj: [],
        models=(), url=lambda i: f"/widgets/{i}", label="Widget board"))
    register_target(app, "widget", lambda _user, _id: True, lambda _user, _id: True)
    with app.test_request_context():
        assert sources.label_for("widget") == "Widget board"
        assert sources.url_for_key("widget:3") == "/widgets/3"
        assert get_target("widget") is not None
    with other.test_request_context():
        assert sources.label_for("widget") == "Widget"  # the fallback for unknown kinds
        assert sources.url_for_key("widget:3") is None
        assert get_target("widget") is None


def _wait_for(app: Flask, state: str) -> str:
    deadline = time.monotonic() + 10
    while (found := indexer.ensure_index(app)) != state and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_a_rebuild_in_one_app_does_not_hold_up_another_apps_rebuild(app, tmp_path, monkeypatch):
    other = _other_app(tmp_path)
    with other.app_context():
        db.create_all()
    for each in (app, other):
        each.config["SEARCH_AUTO_REBUILD"] = "thread"
    # The first app's background rebuild stays running until released; the other's runs.
    release = threading.Event()
    real_rebuild = indexer.rebuild

    def rebuild(progress=None):
        if current_app._get_current_object() is app:
            release.wait(10)
        return real_rebuild(progress)

    monkeypatch.setattr(indexer, "rebuild", rebuild)
    try:
        assert indexer.ensure_index(app) == "rebuilding"
        # Not held up by the first app's rebuild: the other app rebuilds and searches again.
        assert _wait_for(other, "ok") == "ok"
        assert indexer.ensure_index(app) == "rebuilding"
    finally:
        release.set()
    assert _wait_for(app, "ok") == "ok"

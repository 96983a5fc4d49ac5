"""discard_session(): when even the rollback fails, the request's connection is dropped."""

from sqlalchemy.orm import Session

from app.errors import discard_session
from app.extensions import db


def test_a_failed_rollback_invalidates_the_sessions_connection(app, monkeypatch) -> None:
    invalidated: list[Session] = []

    def lost_connection(self: Session) -> None:
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(Session, "rollback", lost_connection)
    monkeypatch.setattr(Session, "invalidate", lambda self: invalidated.append(self))
    with app.app_context():
        discard_session()  # must not raise: the error page still has to be sent
        assert invalidated == [db.session()]

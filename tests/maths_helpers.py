"""Author text with maths (or hostile markup) in every kind of place the app shows it, on the
demo data, for tests/test_maths_everywhere.py and its browser twin.

Text is written the way each feature stores it: versioned fields through the revision engine
(which renders and stores HTML), comments, review comments and observation responses as their
services do (render_markdown at save), plain notes (research focus, "I noticed…") as typed.
"""

from __future__ import annotations

from types import SimpleNamespace

from app.core.markdown import render_markdown
from app.extensions import db

MATHS = r"Compare $\frac{3}{4}$ with a half."
#: How render_markdown leaves the formula for KaTeX: the escaped source in a math-inline span.
MATHS_SPAN = r'<span class="math-inline">\frac{3}{4}</span>'
HOSTILE = ("<script>alert(1)</script> <img src=x onerror=alert(1)> "
           "[click me](javascript:alert(1)) <a href=\"javascript:alert(2)\">x</a>")
#: The demo Work Group Lead: a member of the group, an observer, and reviewer of review 2.
LEAD = "jo.castleford@larkmoor-hub.example.org"


def seed(text: str) -> SimpleNamespace:
    """Write `text` into one thing of each kind (inside an app context, demo loaded) and return
    the ids and the pages that show it."""
    from app.accounts.models import User
    from app.comments.models import Comment
    from app.observations.models import Noticing, Observation, ResearchLesson
    from app.planning.fields import LESSON_MARKDOWN_KEYS
    from app.planning.models import Lesson
    from app.reviews.models import ReviewDecision, ReviewFieldComment, ReviewRequest
    from app.revisions import engine
    from app.workgroups.models import WorkGroupSession
    from app.workgroups.sessions import NOTE_KEYS

    lead = db.session.query(User).filter_by(email=LEAD).one()
    html = str(render_markdown(text))

    lesson = db.session.get(Lesson, 1)
    assert lesson is not None
    head = engine.get_revision(lesson.document_id, lesson.document.head_number)
    engine.save_revision(lesson.document_id, lead, {**head.fields, "key_learning_point": text},
                         head.number, "maths", LESSON_MARKDOWN_KEYS)

    session = db.session.query(WorkGroupSession).order_by(WorkGroupSession.id).first()
    assert session is not None
    notes = engine.get_revision(session.document_id, session.document.head_number)
    engine.save_revision(session.document_id, lead, {"agenda": text, "notes": text},
                         notes.number, "maths", NOTE_KEYS)

    board_post = db.session.query(Comment).filter_by(target_type="board", parent_id=None).first()
    observation_comment = db.session.query(Comment).filter_by(target_type="observation").first()
    for comment in (board_post, observation_comment):
        assert comment is not None
        comment.body, comment.body_html = text, html

    rl = db.session.get(ResearchLesson, 1)
    observation = db.session.query(Observation).filter_by(research_lesson_id=1).first()
    assert rl is not None and observation is not None
    rl.research_focus = text
    observation.responses, observation.responses_html = text, html
    db.session.add(Noticing(observation_id=observation.id, position=99, note=text))

    request = db.session.get(ReviewRequest, 2)
    assert request is not None
    request.note = text
    decision = db.session.query(ReviewDecision).filter_by(request_id=2).first()
    assert decision is not None
    decision.comment, decision.comment_html = text, html
    db.session.add(ReviewFieldComment(decision_id=decision.id, field_key="key_learning_point",
                                      field_label="Key learning point", text=text, html=html))
    db.session.commit()
    lesson_head = lesson.document.head_number
    session_head = session.document.head_number
    return SimpleNamespace(
        lesson_id=lesson.id, sequence_id=lesson.sequence_id, session_id=session.id,
        pages={
            "lesson": f"/lessons/{lesson.id}",
            "lesson compare (rendered)":
                f"/lessons/{lesson.id}/compare?a={lesson_head - 1}&b={lesson_head}"
                "&view=rendered",
            "session agenda and notes": f"/sessions/{session.id}",
            "session notes compare (rendered)":
                f"/sessions/{session.id}/compare?a={session_head - 1}&b={session_head}"
                "&view=rendered",
            "board post": f"/work-groups/{session.work_group_id}/board/{board_post.id}",
            "research focus, observation notes, comments": f"/research-lessons/{rl.id}",
            "comments page": f"/comments/observation/{rl.id}",
            "review comments": f"/reviews/{request.id}",
        })

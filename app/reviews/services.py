"""Reviews' services, one import per concern; the logic lives in those modules.

Routes and other features call services.<function>: targets (what can be reviewed), requests
(asking for a review, the queue), screen (the reviewer's diff and evidence), decisions
(approve, ask for changes, comment) and approved (approved versions and sequence status)."""

from app.reviews.adoption import request_adoption
from app.reviews.approved import (
    ApprovalView,
    approval_banner,
    approved_page,
    current_approval,
    pinned_lessons,
    refresh_status,
)
from app.reviews.decisions import (
    MAX_COMMENT,
    decide,
)
from app.reviews.lessons import (
    LessonChange,
    lesson_changes,
)
from app.reviews.requests import (
    MAX_NOTE,
    Queue,
    QueueRow,
    SchoolChoice,
    SubmitOptions,
    get_request,
    queue,
    reviewers_for,
    submit_for_review,
    submit_options,
)
from app.reviews.screen import (
    Evidence,
    NoVersion,
    ReviewDiff,
    ReviewScreen,
    display_fields,
    evidence_for,
    review_diff,
    review_screen,
)
from app.reviews.targets import (
    get_target,
)

__all__ = [
    "ApprovalView",
    "Evidence",
    "LessonChange",
    "MAX_COMMENT",
    "MAX_NOTE",
    "NoVersion",
    "Queue",
    "QueueRow",
    "ReviewDiff",
    "ReviewScreen",
    "SchoolChoice",
    "SubmitOptions",
    "approval_banner",
    "approved_page",
    "current_approval",
    "decide",
    "display_fields",
    "evidence_for",
    "get_request",
    "get_target",
    "lesson_changes",
    "pinned_lessons",
    "queue",
    "refresh_status",
    "review_diff",
    "review_screen",
    "request_adoption",
    "reviewers_for",
    "submit_for_review",
    "submit_options",
]

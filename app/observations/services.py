"""Research lessons' services, one import per concern; the logic lives in those modules.

Routes and other features call services.<function>: research_lessons (access, scheduling and
telling the teacher), observations (each observer's record), discussions (the post-lesson
discussion), agreed_changes (open, declined, addressed) and pages (what each page shows)."""

from app.observations.agreed_changes import (
    add_agreed_change,
    address_changes,
    can_edit_lesson,
    decline_change,
    get_change,
    mark_addressed,
    open_changes_for_lesson,
    reopen_change,
)
from app.observations.discussions import (
    discussion_form,
    save_discussion,
)
from app.observations.observations import (
    ObservationForm,
    editable_observation,
    get_observation,
    my_observation,
    observation_data,
    observation_form,
    save_my_observation,
    update_observation,
)
from app.observations.pages import (
    LessonPanel,
    ResearchLessonPage,
    lesson_panel,
    list_page,
    research_lesson_page,
)
from app.observations.research_lessons import (
    NOT_A_MEMBER,
    YEAR_CODES,
    ScheduleForm,
    edit_form,
    editable_research_lesson,
    get_research_lesson,
    members,
    schedule_form,
    schedule_research_lesson,
    tell_teacher,
    update_research_lesson,
    visible_research_lessons,
)

__all__ = [
    "LessonPanel",
    "NOT_A_MEMBER",
    "ObservationForm",
    "ResearchLessonPage",
    "ScheduleForm",
    "YEAR_CODES",
    "add_agreed_change",
    "address_changes",
    "can_edit_lesson",
    "decline_change",
    "discussion_form",
    "edit_form",
    "editable_observation",
    "editable_research_lesson",
    "get_change",
    "get_observation",
    "get_research_lesson",
    "lesson_panel",
    "list_page",
    "mark_addressed",
    "members",
    "my_observation",
    "observation_data",
    "observation_form",
    "open_changes_for_lesson",
    "reopen_change",
    "research_lesson_page",
    "save_discussion",
    "save_my_observation",
    "schedule_form",
    "schedule_research_lesson",
    "tell_teacher",
    "update_observation",
    "update_research_lesson",
    "visible_research_lessons",
]

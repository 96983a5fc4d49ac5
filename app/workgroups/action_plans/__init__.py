"""School action plans: priorities, actions, RAG ratings, review points; versioned, signed off.

A plan's content is one "action_plan" document in the revision engine. Its snapshot is

    {"priorities": [{"id", "area", "intended_outcome", "actions": [{"id", "action",
                     "lead_id", "due", "status"}], "success_criteria", "evidence_links",
                     "rag"}],
     "review_points": [{"id", "date", "note"}]}

Priorities and review points carry stable ids, so two people editing different priorities at
once merge cleanly (the engine merges lists of dicts item by item); editing the same priority
is a conflict the person resolves. Each edit starts from the revision the form showed, changes
only its own part, and lets the engine merge: nothing is silently overwritten. A sign-off pins
one revision; later edits are new draft revisions and never alter it.

One module per job, re-exported here for `action_plans.<function>` callers: plans (which plans
exist, access, starting one), views (what a reader sees), editing (checking and saving),
sign_off and versions (history subject, restore, text for diffs and conflicts)."""

from app.workgroups.action_plans.editing import (
    MAX_ACTION,
    MAX_AREA,
    MAX_LINKS,
    MAX_NOTE,
    MAX_ROWS,
    MAX_TEXT,
    MAX_URL,
    check_priority,
    check_review_points,
    new_id,
    priority_form,
    remove_priority,
    review_form,
    save_priority,
    save_review_points,
)
from app.workgroups.action_plans.plans import (
    SchoolPlanRow,
    create_plan,
    earlier_plans,
    editable_plan,
    empty_snapshot,
    get_plan,
    head,
    lead_choices,
    names_for,
    plans_page,
)
from app.workgroups.action_plans.sign_off import (
    sign_off,
)
from app.workgroups.action_plans.versions import (
    display,
    priority_text,
    restore,
    review_text,
    subject,
)
from app.workgroups.action_plans.views import (
    ActionView,
    PlanView,
    PriorityView,
    plan_view,
    priorities_of,
)

__all__ = [
    "ActionView",
    "MAX_ACTION",
    "MAX_AREA",
    "MAX_LINKS",
    "MAX_NOTE",
    "MAX_ROWS",
    "MAX_TEXT",
    "MAX_URL",
    "PlanView",
    "PriorityView",
    "SchoolPlanRow",
    "check_priority",
    "check_review_points",
    "create_plan",
    "earlier_plans",
    "display",
    "editable_plan",
    "empty_snapshot",
    "get_plan",
    "head",
    "lead_choices",
    "names_for",
    "new_id",
    "plan_view",
    "plans_page",
    "priorities_of",
    "priority_form",
    "priority_text",
    "remove_priority",
    "restore",
    "review_form",
    "review_text",
    "save_priority",
    "save_review_points",
    "sign_off",
    "subject",
]

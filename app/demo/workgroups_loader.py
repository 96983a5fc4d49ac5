"""Load the seed's sessions, Eskdyke's action plan (three revisions, one signed off) and a
board thread; running it twice changes nothing.

Runs after the planning step (and after the observations step when there is one): the ids map
already holds the group, people, schools, sequences and, if present, research lessons, so
sessions link to what they discussed. Sessions go in through the session service with the
Lead as author, so seed text passes the same checks as typed text; revisions are then dated as
the year happened. A session with the same group, date and title, a plan for the same group,
school and year, and a board thread with the same title are only looked up.

The seed's agendas are written here from its session titles and notes. The plan's earlier
versions are rebuilt from the seed's final version (version 3) and its review dates. The seed's
evidence link "obs-3" is a record id, not a web address, so it is left out (evidence links are
http/https only); the session for that visit links the observation instead.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app import revisions
from app.accounts.models import User, WorkGroup
from app.core.markdown import render_markdown
from app.demo.clock import DemoClock, clock_of
from app.extensions import db
from app.planning.models import Sequence
from app.revisions.models import Revision
from app.workgroups import action_plans, sessions
from app.workgroups.models import ActionPlan, ActionPlanSignOff, BoardThread, WorkGroupSession

if TYPE_CHECKING:
    from app.comments.models import Comment

Step = Callable[[dict[str, Any], dict[str, Any]], None]

KINDS: dict[str, str] = {"trg_research_lesson": "research_lesson",
                         "collaborative_planning": "collaborative_planning",
                         "workshop": "workshop", "online": "online",
                         "support_visit": "support_visit"}
#: (start, end) local times by session type: half-day meetings, an after-school online call.
TIMES: dict[str, tuple[str, str]] = {"online": ("15:45", "17:00"),
                                     "support_visit": ("09:00", "12:00")}
DEFAULT_TIMES = ("13:00", "16:00")
AGENDAS: dict[str, str] = {
    "ses-1": "1. Welcome: the Sustaining year and its three strands\n"
             "2. Leaders identify pedagogical and policy priorities\n"
             "3. Each school drafts its action plan\n"
             "4. Choosing the sequences to co-plan this year",
    "ses-2": "1. Segment 2.7 of the Primary PD Materials: the teaching points\n"
             "2. Co-planning the outline of the Year 3 sequence on the 2, 4 and 8 times tables\n"
             "3. Who drafts which lesson before Session 3",
    "ses-3": "1. Pre-lesson briefing: research focus and focus pupils A, B and C\n"
             "2. Research lesson: Year 3, 4x is double 2x\n"
             "3. Post-lesson discussion: teacher's reflection first, then noticings\n"
             "4. Agreeing changes to the lesson",
    "ses-4": "1. Pre-lesson briefing: research focus and focus pupils\n"
             "2. Research lesson: Year 5, equivalent fractions by multiplying\n"
             "3. Post-lesson discussion and agreed changes",
    "ses-5": "1. What changed in the revised sequences, and why\n"
             "2. Round table: in-school PD models\n"
             "3. Action plans: spring review round-up",
    "ses-6": "1. Impact review: each school's action plan\n"
             "2. What we would keep, change and share\n"
             "3. Next year's priorities",
    "visit-esk-spr": "1. Meeting with the subject leader\n2. Learning walk\n"
                     "3. Lesson observation (Year 3)\n4. Meeting with the headteacher",
}
#: Sequences each session discussed (research lessons are linked from the observations seed).
SEQUENCES: dict[str, list[str]] = {
    "ses-2": ["seq-y3-md-248"], "ses-3": ["seq-y3-md-248"], "ses-4": ["seq-y5-fr-equiv"],
    "ses-5": ["seq-y3-md-248", "seq-y5-fr-equiv"],
}

#: Eskdyke's plan, version by version: (author, when, summary); the last is the seed's.
PLAN_HISTORY: list[tuple[str, str, str]] = [
    ("p-okafor", "2024-10-10T16:30:00+00:00", "First draft after the opening workshop."),
    ("p-okafor", "2024-12-10T16:00:00+00:00",
     "Autumn review with the headteacher: planning slots running; fluency priority added."),
    ("p-okafor", "2025-03-05T15:30:00+00:00",
     "After the spring support visit: calculation policy action added, statuses updated."),
]
SIGN_OFF = ("p-dunmore", 2, "2024-12-12T08:15:00+00:00")
REVIEW_NOTES = ["Autumn review with the headteacher", "Spring support visit",
                "Summer impact review"]
BOARD_THREAD: dict[str, Any] = {
    "title": "Grouping and sharing: one bar-model layout from Year 2 to Year 4?",
    "category": "question", "author": "p-okafor", "at": "2025-03-06T17:10:00+00:00",
    "body": "After our support visit we saw the bar model used for sharing but not for "
            "grouping, and Year 2 books use a different layout. How have your schools agreed "
            "one layout for both structures? Photos of books or your calculation policy "
            "pages would help.",
    "reply": ("p-pemberton", "2025-03-07T07:40:00+00:00",
              "We agreed one layout in a staff meeting using segment 2.6, then added it to the "
              "calculation policy with a grouping and a sharing example side by side."),
}


def _when(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at)


def _backdate(document_id: int, number: int, at: dt.datetime) -> None:
    # Back-dating is fine here: the row was inserted moments ago in this same transaction.
    revision = revisions.get_revision(document_id, number)
    revision.created_at = at


# --- sessions ----------------------------------------------------------------------------------


def _session(data: dict[str, Any], seed: dict[str, Any], ids: dict[str, Any]) -> WorkGroupSession:
    group: WorkGroup = ids[data["work_group_id"]]
    lead: User = ids[seed["work_group"]["lead_person_id"]]
    day = dt.date.fromisoformat(data["date"])
    found = db.session.scalar(select(WorkGroupSession).where(
        WorkGroupSession.work_group_id == group.id, WorkGroupSession.date == day,
        WorkGroupSession.title == data["title"]))
    if found is not None:
        return found
    kind = KINDS[data["type"]]
    start, end = TIMES.get(kind, DEFAULT_TIMES)
    host = ids.get(data.get("host_school_id") or "")
    if kind == "support_visit":
        school_id = host.id if host else None
        attendees = [lead.id] + [m.user_id for m in group.memberships if m.school_id == school_id]
    else:
        attendees = [u.id for u in sessions.members(group)]
    chosen = [f"sequence:{ids[s].id}" for s in SEQUENCES.get(data["id"], [])
              if isinstance(ids.get(s), Sequence)]
    chosen += [f"research_lesson:{ids[o['id']].id}" for o in seed.get("observations", [])
               if o.get("session_id") == data["id"] and _is_research_lesson(ids.get(o["id"]))]
    form = {"number": str(data.get("number") or ""), "date": data["date"], "start_time": start,
            "end_time": end, "kind": kind, "host_school_id": str(host.id) if host else "",
            "title": data["title"], "agenda": AGENDAS.get(data["id"], ""),
            "attendees": [str(i) for i in dict.fromkeys(attendees)], "links": chosen}
    session = sessions.create_session(lead, group.id, form)
    # Planned a fortnight ahead, or yesterday for a session coming up sooner: never later
    # than the demo's day (history is in the past).
    yesterday = clock_of(seed).today - dt.timedelta(days=1)
    planned = min(_when(f"{data['date']}T16:00:00+00:00") - dt.timedelta(days=14),
                  _when(f"{yesterday.isoformat()}T16:00:00+00:00"))
    session.created_at = planned
    _backdate(session.document_id, 1, planned)
    if data.get("notes"):
        result = sessions.save_notes(lead, session.id, {"agenda": form["agenda"],
                                                        "notes": data["notes"]},
                                     1, "Notes from the session.")
        assert result.revision is not None  # the seed's notes differ from the empty first version
        after = _when(f"{data['date']}T17:30:00+00:00")
        result.revision.created_at = after
        session.updated_at = after
    else:
        session.updated_at = planned
    return session


def _is_research_lesson(item: object) -> bool:
    try:
        from app.observations.models import ResearchLesson
    except ImportError:
        return False
    return isinstance(item, ResearchLesson)


# --- the action plan ----------------------------------------------------------------------------


def _versions(data: dict[str, Any], ids: dict[str, Any]) -> list[dict[str, Any]]:
    """Three snapshots: first draft, autumn review, and the seed's final version."""
    final: list[dict[str, Any]] = []
    for priority in data["priorities"]:
        final.append({
            "id": priority["id"], "area": priority["area"],
            "intended_outcome": priority.get("intended_outcome", ""),
            "actions": [{"id": f"{priority['id']}-a{n}", "action": a["action"],
                         "lead_id": ids[a["lead_id"]].id if a.get("lead_id") else None,
                         "due": a.get("due", ""), "status": a.get("status", "not_started")}
                        for n, a in enumerate(priority.get("actions", []), start=1)],
            "success_criteria": priority.get("success_criteria", ""),
            # Only web addresses are evidence links; the seed's record ids are left out.
            "evidence_links": [x for x in priority.get("evidence_links", [])
                               if x.startswith(("http://", "https://"))],
            "rag": priority.get("rag", "")})
    points = [{"id": f"rp-{n}", "date": day, "note": REVIEW_NOTES[n - 1]
               if n <= len(REVIEW_NOTES) else ""}
              for n, day in enumerate(data.get("review_points", []), start=1)]
    by_id = {p["id"]: p for p in final}
    first = copy.deepcopy([by_id["pr-1"], by_id["pr-2"]])
    first[0]["actions"] = first[0]["actions"][:1]
    for priority in first:
        for action in priority["actions"]:
            action["status"] = "not_started"
    first[1]["rag"] = "amber"
    autumn = copy.deepcopy([by_id["pr-1"], by_id["pr-2"], by_id["pr-3"]])
    autumn[0]["actions"] = autumn[0]["actions"][:1]
    autumn[0]["actions"][0]["status"] = "not_started"
    autumn[2]["actions"][0]["status"] = "in_progress"
    return [{"priorities": first, "review_points": points},
            {"priorities": autumn, "review_points": points},
            {"priorities": final, "review_points": points}]


def _check(plan: ActionPlan, snapshot: dict[str, Any]) -> None:
    """Seed priorities pass the same checks as typed ones (a bad seed fails loudly)."""
    for priority in snapshot["priorities"]:
        form = {**priority, "evidence_links": "\n".join(priority["evidence_links"]),
                "actions": [{**a, "lead_id": str(a["lead_id"] or "")}
                            for a in priority["actions"]]}
        errors: dict[str, str] = {}
        action_plans.check_priority(plan, form, errors, {a["id"] for a in priority["actions"]})
        if errors:
            raise ValueError(f"Demo priority {priority['id']} does not validate: {errors}")


def _plan(data: dict[str, Any], ids: dict[str, Any], clock: DemoClock) -> ActionPlan:
    group: WorkGroup = ids[data["work_group_id"]]
    school = ids[data["school_id"]]
    found = db.session.scalar(select(ActionPlan).where(
        ActionPlan.work_group_id == group.id, ActionPlan.school_id == school.id,
        ActionPlan.academic_year == data["academic_year"]))
    if found is not None:
        return found
    author = ids[PLAN_HISTORY[0][0]]
    document = revisions.new_document("action_plan")
    plan = ActionPlan(work_group_id=group.id, school_id=school.id,
                      academic_year=data["academic_year"], document_id=document.id,
                      created_by_id=author.id, created_at=_when(clock.text(PLAN_HISTORY[0][1])),
                      updated_at=_when(clock.text(PLAN_HISTORY[-1][1])))
    db.session.add(plan)
    db.session.flush()
    for (who, at, summary), snapshot in zip(PLAN_HISTORY, _versions(data, ids), strict=True):
        _check(plan, snapshot)
        result = revisions.save_revision(document.id, ids[who], snapshot,
                                         document.head_number or None, summary, [])
        if result.revision is None:
            raise ValueError(f"Demo plan version {summary!r} repeats the one before it.")
        result.revision.created_at = _when(clock.text(at))
    who, number, at = SIGN_OFF
    plan.sign_offs.append(ActionPlanSignOff(revision_number=number, signed_by_id=ids[who].id,
                                            role="headteacher",
                                            signed_at=_when(clock.text(at))))
    db.session.flush()
    return plan


# --- comments on the plan and the board --------------------------------------------------------


def _comment(kind: str, target_id: int, author: User, at: dt.datetime, body: str,
             anchor: str = "", parent_id: int | None = None) -> Comment:
    from app.comments.models import Comment, CommentRevision

    found = db.session.scalar(select(Comment).where(
        Comment.target_type == kind, Comment.target_id == target_id,
        Comment.author_id == author.id, Comment.created_at == at))
    if found is not None:
        return found
    comment = Comment(target_type=kind, target_id=target_id, anchor=anchor, parent_id=parent_id,
                      author_id=author.id, body=body, body_html=str(render_markdown(body)),
                      created_at=at)
    comment.revisions.append(CommentRevision(number=1, body=body, edited_at=at))
    db.session.add(comment)
    db.session.flush()
    return comment


def _plan_comments(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    for data in seed.get("comments", []):
        plan = ids.get(data["target_id"])
        if data["target_type"] != "action_plan" or not isinstance(plan, ActionPlan):
            continue
        anchor = ""
        if data.get("anchor", "").startswith("priorities["):
            index = int(data["anchor"].split("[")[1].rstrip("]"))
            head = db.session.scalar(select(Revision).where(
                Revision.document_id == plan.document_id,
                Revision.number == plan.document.head_number))
            assert head is not None  # a document's head number names one of its revisions
            anchor = f"priority:{head.fields['priorities'][index]['id']}"
        ids[data["id"]] = _comment("action_plan", plan.id, ids[data["author_id"]],
                                   _when(data["created_at"].replace("Z", "+00:00")),
                                   data["body"], anchor)


def _board(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    group: WorkGroup = ids[seed["work_group"]["id"]]
    clock = clock_of(seed)
    data = clock.shift(BOARD_THREAD)
    thread = db.session.scalar(select(BoardThread).where(
        BoardThread.work_group_id == group.id, BoardThread.title == data["title"]))
    if thread is None:
        author = ids[data["author"]]
        root = _comment("board", group.id, author, _when(data["at"]), data["body"])
        thread = BoardThread(work_group_id=group.id, comment_id=root.id, title=data["title"],
                             category=data["category"], created_by_id=author.id,
                             created_at=_when(data["at"]))
        db.session.add(thread)
        who, at, body = data["reply"]
        _comment("board", group.id, ids[who], _when(at), body, parent_id=root.id)
        db.session.flush()
    ids["board-thread-1"] = thread


def load_workgroups(seed: dict[str, Any], ids: dict[str, Any]) -> None:
    """Create (or find) the seed's sessions, action plans and their comments, and a thread."""
    for data in seed.get("sessions", []):
        ids[data["id"]] = _session(data, seed, ids)
    for data in seed.get("action_plans", []):
        ids[data["id"]] = _plan(data, ids, clock_of(seed))
    _plan_comments(seed, ids)
    _board(seed, ids)
    db.session.flush()


#: For app.demo.loader.STEPS: runs after "sequences" (and "research lessons" when present).
STEP: tuple[str, Step] = ("sessions, action plans and board", load_workgroups)

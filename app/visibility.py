"""Who may see and edit each kind of thing, written once, as data.

`RULES` below is the only description of visibility in the app. Everything else is derived
from it by the four interpreters in this module, so they cannot drift apart:

- `allows(user, rule, obj)`: the Python predicate the pages use (app/policy.py wraps it);
- `sql_filter(user, rule)`: the SQL condition lists and queries use;
- `object_tokens(rule, obj)` / `reader_tokens(user)`: the search index's access tokens (a
  document is found when the two share a token);
- `url_visible(user, path)` in app/notifications/visibility.py: a notification's link is
  shown only while its objects pass the rule named by `Rule.url_keys`.

A rule is a list of terms joined by OR; a term is a list of (audience, attribute path) pairs
joined by AND. `by` picks the terms from the object's own value (a sequence's visibility),
`always` adds terms for every value, and `parent` requires another rule on a related object
as well (a lesson is seen by whoever sees its sequence). tests/test_visibility_rules.py
generates worlds of users, memberships and objects and checks that the four agree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, and_, false, inspect, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from app.accounts.models import User, WorkGroup
from app.extensions import db
from app.observations.models import AgreedChange, Observation, ResearchLesson
from app.planning.models import Lesson, Sequence

# --- audiences: the people a term names ----------------------------------------------------------


class Audience(ABC):
    """A set of people named by one value (a hub, a Work Group, a school) or by none.

    `holds` answers for one user and one value (pages ask it per object, from loaded rows);
    `values` lists every value the user holds (SQL `IN` lists and search tokens). The property
    test checks that the two agree.
    """

    #: Prefix of this audience's search tokens ("wg" gives "wg:12").
    key = ""
    #: True when the audience takes no value (everyone, site admins).
    constant = False

    @abstractmethod
    def holds(self, user: User, value: Any) -> bool:
        """Is this user one of the people named by `value`?"""

    @abstractmethod
    def values(self, user: User) -> set[Any]:
        """Every value for which `holds(user, value)` is true."""

    def token(self, value: Any) -> str:
        return self.key if self.constant else f"{self.key}:{value}"


class Everyone(Audience):
    """Every signed-in person."""

    key, constant = "all", True

    def holds(self, user: User, value: Any) -> bool:
        return True

    def values(self, user: User) -> set[Any]:
        return {None}


class SiteAdmins(Audience):
    key, constant = "site", True

    def holds(self, user: User, value: Any) -> bool:
        return user.is_site_admin

    def values(self, user: User) -> set[Any]:
        return {None} if user.is_site_admin else set()


class HubAdmins(Audience):
    """The admins of one hub."""

    key = "hubadmin"

    def holds(self, user: User, value: Any) -> bool:
        return user.is_hub_admin and user.admin_hub_id is not None and user.admin_hub_id == value

    def values(self, user: User) -> set[Any]:
        return {user.admin_hub_id} if user.is_hub_admin and user.admin_hub_id else set()


class HubPeople(Audience):
    """Everyone in a hub: members of its Work Groups and its admins."""

    key = "hub"

    def holds(self, user: User, value: Any) -> bool:
        return value in self.values(user)

    def values(self, user: User) -> set[Any]:
        ids = {m.work_group.hub_id for m in user.memberships}
        if user.is_hub_admin and user.admin_hub_id:
            ids.add(user.admin_hub_id)
        return ids


class Members(Audience):
    """The members of one Work Group (a Lead who is not a member is not one)."""

    key = "member"

    def holds(self, user: User, value: Any) -> bool:
        return any(m.work_group_id == value for m in user.memberships)

    def values(self, user: User) -> set[Any]:
        return {m.work_group_id for m in user.memberships}


def is_lead(user: User, work_group: WorkGroup) -> bool:
    """The Work Group's Lead: named on the group, or given the Lead role in it."""
    if work_group.lead_id == user.id:
        return True
    return any(m.work_group_id == work_group.id and m.has_role("work_group_lead")
               for m in user.memberships)


def led_group_ids(user: User) -> set[int]:
    """Every Work Group the user leads, by either route `is_lead` accepts."""
    if "named_lead_of" in inspect(user).dict:
        # Loaded with the user for this request (app.accounts.services.load_user_from_cookie).
        named: Iterable[int] = [group.id for group in user.named_lead_of]
    else:
        named = db.session.scalars(select(WorkGroup.id).where(WorkGroup.lead_id == user.id))
    by_role = {m.work_group_id for m in user.memberships if m.has_role("work_group_lead")}
    return set(named) | by_role


class GroupPeople(Audience):
    """A Work Group's members and its Lead."""

    key = "wg"

    def holds(self, user: User, value: Any) -> bool:
        if Members().holds(user, value):
            return True
        group = db.session.get(WorkGroup, value)
        return group is not None and is_lead(user, group)

    def values(self, user: User) -> set[Any]:
        return Members().values(user) | led_group_ids(user)


class SchoolPeople(Audience):
    """The people of a school: their own school and those they represent in Work Groups."""

    key = "school"

    def holds(self, user: User, value: Any) -> bool:
        return value is not None and value in self.values(user)

    def values(self, user: User) -> set[Any]:
        ids = {m.school_id for m in user.memberships if m.school_id}
        if user.school_id:
            ids.add(user.school_id)
        return ids


EVERYONE, SITE_ADMINS, HUB_ADMINS = Everyone(), SiteAdmins(), HubAdmins()
HUB, MEMBERS, GROUP, SCHOOL = HubPeople(), Members(), GroupPeople(), SchoolPeople()
AUDIENCES: tuple[Audience, ...] = (EVERYONE, SITE_ADMINS, HUB_ADMINS, HUB, MEMBERS, GROUP,
                                   SCHOOL)
AUDIENCE_BY_KEY: dict[str, Audience] = {a.key: a for a in AUDIENCES}

# --- rules -------------------------------------------------------------------------------------

#: One AND-ed condition: (audience, attribute path on the object; "" for constant audiences).
Term = tuple[tuple[Audience, str], ...]


@dataclass(frozen=True)
class Rule:
    """Who may do one thing (read or edit) to one kind of object. See the module docstring."""

    name: str
    model: type
    #: Attribute whose value picks the terms from `cases` ("" when there is one case).
    by: str = ""
    cases: Mapping[str, tuple[Term, ...]] = field(default_factory=dict)
    #: Terms that apply whatever `by` says (site admins read everything, say).
    always: tuple[Term, ...] = ()
    #: (relationship path, rule) that must hold too, on the related object.
    parent: tuple[str, Rule] | None = None
    #: URL variables that name an object of this kind (for notification links).
    url_keys: tuple[str, ...] = ()

    def terms(self, obj: Any) -> tuple[Term, ...]:
        if not self.by:
            return self.always + self.cases.get("", ())
        return self.always + self.cases.get(_resolve(obj, self.by), ())


def _term(*pairs: tuple[Audience, str]) -> Term:
    return tuple(pairs)


EVERYONE_TERM = _term((EVERYONE, ""))
SITE_TERM = _term((SITE_ADMINS, ""))

SEQUENCE_READ = Rule(
    "sequence-read", Sequence, by="visibility",
    cases={
        "all": (EVERYONE_TERM,),
        "hub": (_term((HUB, "work_group.hub_id")),),
        "work_group": (_term((GROUP, "work_group_id")),),
        "school": (_term((SCHOOL, "school_id")),),
    },
    always=(SITE_TERM,),
    url_keys=("sequence_id",),
)

#: Members of the owning Work Group edit; a school-only plan needs that school too.
SEQUENCE_EDIT = Rule(
    "sequence-edit", Sequence, by="visibility",
    cases={
        "all": (_term((MEMBERS, "work_group_id")),),
        "hub": (_term((MEMBERS, "work_group_id")),),
        "work_group": (_term((MEMBERS, "work_group_id")),),
        "school": (_term((MEMBERS, "work_group_id"), (SCHOOL, "school_id")),),
    },
)

LESSON_READ = Rule("lesson-read", Lesson, cases={"": (EVERYONE_TERM,)},
                   parent=("sequence", SEQUENCE_READ), url_keys=("lesson_id",))

#: Readers of the lesson who are in the research lesson's Work Group; the teacher's school
#: only, when the record is restricted to it.
RESEARCH_LESSON_READ = Rule(
    "research-lesson-read", ResearchLesson, by="visibility",
    cases={
        "work_group": (_term((GROUP, "work_group_id")),),
        "school": (_term((GROUP, "work_group_id"), (SCHOOL, "school_id")),),
    },
    parent=("lesson.sequence", SEQUENCE_READ),
    url_keys=("research_lesson_id",),
)

OBSERVATION_READ = Rule("observation-read", Observation, cases={"": (EVERYONE_TERM,)},
                        parent=("research_lesson", RESEARCH_LESSON_READ),
                        url_keys=("observation_id",))

AGREED_CHANGE_READ = Rule("agreed-change-read", AgreedChange, cases={"": (EVERYONE_TERM,)},
                          parent=("research_lesson", RESEARCH_LESSON_READ),
                          url_keys=("change_id",))

#: Members and the Lead see their Work Group, as do those who manage it.
WORK_GROUP_READ = Rule(
    "work-group-read", WorkGroup,
    cases={"": (SITE_TERM, _term((HUB_ADMINS, "hub_id")), _term((GROUP, "id")))},
    url_keys=("group_id", "work_group_id"),
)

RULES: tuple[Rule, ...] = (SEQUENCE_READ, SEQUENCE_EDIT, LESSON_READ, RESEARCH_LESSON_READ,
                           OBSERVATION_READ, AGREED_CHANGE_READ, WORK_GROUP_READ)


def rule_for_url_key(key: str) -> Rule | None:
    """The read rule whose objects a URL variable names, if any."""
    for rule in RULES:
        if key in rule.url_keys:
            return rule
    return None


# --- interpreter 1: the Python predicate ------------------------------------------------------


def _resolve(obj: Any, path: str) -> Any:
    """`a.b` of an object, or a mapping's value (lists check rows by their columns)."""
    if isinstance(obj, Mapping):
        return obj[path]
    return reduce(getattr, path.split("."), obj)


def _term_holds(user: User, obj: Any, term: Term) -> bool:
    return all(audience.holds(user, None if audience.constant else _resolve(obj, path))
               for audience, path in term)


def allows(user: User, rule: Rule, obj: Any) -> bool:
    """May this user do what `rule` describes to `obj`? (A disabled account may do nothing.)"""
    if not user.is_authenticated or getattr(user, "disabled", False):
        return False
    if not any(_term_holds(user, obj, term) for term in rule.terms(obj)):
        return False
    if rule.parent is not None:
        path, parent_rule = rule.parent
        return allows(user, parent_rule, _resolve(obj, path))
    return True


# --- interpreter 2: the SQL filter -------------------------------------------------------------


def _column_in(model: type, path: str, values: set[Any]) -> ColumnElement[bool]:
    """`model.path IN values`, through relationships (`work_group.hub_id`) as EXISTS."""
    name, _, rest = path.partition(".")
    attribute: InstrumentedAttribute[Any] = getattr(model, name)
    if not rest:
        return attribute.in_(values) if values else false()
    related = attribute.property.mapper.class_
    return attribute.has(_column_in(related, rest, values))


def _term_sql(user: User, model: type, term: Term) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    for audience, path in term:
        if audience.constant:
            parts.append(true() if audience.values(user) else false())
        else:
            parts.append(_column_in(model, path, audience.values(user)))
    return and_(*parts)


def sql_filter(user: User, rule: Rule) -> ColumnElement[bool]:
    """SQL condition matching the rows of `rule.model` that `allows` would accept."""
    if not user.is_authenticated or getattr(user, "disabled", False):
        return false()
    model = rule.model
    own = [_term_sql(user, model, term) for term in rule.always]
    if rule.by:
        column = getattr(model, rule.by)
        own += [and_(column == value, or_(*(_term_sql(user, model, t) for t in terms)))
                for value, terms in rule.cases.items()]
    else:
        own += [_term_sql(user, model, t) for t in rule.cases.get("", ())]
    clause = or_(*own) if own else false()
    if rule.parent is not None:
        path, parent_rule = rule.parent
        clause = and_(clause, _related(model, path, sql_filter(user, parent_rule)))
    return clause


def _related(model: type, path: str, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    name, _, rest = path.partition(".")
    attribute: InstrumentedAttribute[Any] = getattr(model, name)
    if rest:
        condition = _related(attribute.property.mapper.class_, rest, condition)
    return attribute.has(condition)


# --- interpreter 3: search access tokens -------------------------------------------------------
# A document stores the tokens of everyone who may read it; a reader holds tokens; the search
# matches when they share one. Tokens OR together, so an AND of audiences ("in the Work Group
# AND in this school") is one combined token, "school:4&wg:2", which a reader holds when they
# hold each part.


def _combine(parts: Iterable[str]) -> str:
    named = sorted({p for p in parts if p != EVERYONE.key})
    return "&".join(named) if named else EVERYONE.key


def object_tokens(rule: Rule, obj: Any) -> list[str]:
    """The tokens of everyone `allows` would let read `obj` (for its search document)."""
    own = [[audience.token(None if audience.constant else _resolve(obj, path))
            for audience, path in term] for term in rule.terms(obj)]
    alternatives = [_combine(term) for term in own]
    if rule.parent is not None:
        path, parent_rule = rule.parent
        inherited = object_tokens(parent_rule, _resolve(obj, path))
        alternatives = [_combine([*mine.split("&"), *theirs.split("&")])
                        for mine, theirs in product(alternatives, inherited)]
    return _absorbed(set(alternatives))


def _absorbed(tokens: set[str]) -> list[str]:
    """Drop a token that asks for more than another one does ("site&wg:2" beside "wg:2"):
    whoever holds it holds the shorter one too, so it only makes the index larger."""
    parts = {token: set(token.split("&")) for token in tokens}
    return sorted(token for token, needs in parts.items()
                  if not any(other < needs for other in parts.values()))


def _shapes(rule: Rule) -> set[tuple[str, ...]]:
    """Which audiences a rule's combined tokens join (so readers get only those combinations)."""
    own = {tuple(sorted(a.key for a, _ in term if a is not EVERYONE))
           for terms in (rule.always, *rule.cases.values()) for term in terms}
    if rule.parent is None:
        return own
    return {tuple(sorted((*mine, *theirs))) for mine in own for theirs in _shapes(rule.parent[1])}


SEARCHED_RULES: tuple[Rule, ...] = (SEQUENCE_READ, LESSON_READ, RESEARCH_LESSON_READ)


def reader_class(user: User) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Everything the rules can know about a reader: the values each audience gives them.

    Two people with the same class pass exactly the same rules (every interpreter asks only
    `holds`/`values`, and the property test checks those agree), so what is derived from
    visibility alone, such as a plan's wiki links resolved for a reader, may be shared within
    a class and never across classes: two schools never share one."""
    return tuple((a.key, tuple(sorted(a.values(user), key=str))) for a in AUDIENCES)


def reader_tokens(user: User) -> list[str]:
    """Every token the user holds, for the kinds search shows. Computed per search, so a
    changed membership applies at once."""
    if not user.is_authenticated or getattr(user, "disabled", False):
        return []
    held = {a.key: sorted(a.values(user), key=str) for a in AUDIENCES}
    tokens = {EVERYONE.key}
    for rule in SEARCHED_RULES:
        for shape in _shapes(rule):
            choices = [[AUDIENCE_BY_KEY[key].token(v) for v in held[key]] for key in shape]
            tokens |= {_combine(combo) for combo in product(*choices)}
    return sorted(tokens)


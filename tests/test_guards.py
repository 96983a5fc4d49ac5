"""Attacks on guards that no other test protects: each test here goes red if its guard is dropped.

Every attack comes from a second, signed-in user through the public pages: an open redirect
after login, a teacher of another school in the same Work Group editing or finding a school-only
plan.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.extensions import db
from tests.planning_helpers import lesson_form, make_plan, sequence_data

# --- open redirects after login ------------------------------------------------------------------

#: Targets a browser would follow off the site (it strips tabs and newlines, reads "\" as "/",
#: and treats three or more slashes like two).
OFFSITE_NEXT = [
    "//evil.example",
    "//evil.example/",
    "///evil.example/",
    "////evil.example",
    "/////evil.example/path",
    "/\\evil.example",
    "/\\\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "%2F%2Fevil.example",
    "https:evil.example",
    "https:/evil.example",
    "https://evil.example/",
    "http://localhost.evil.example/",
    "javascript:alert(1)",
    "\t//evil.example",
    " //evil.example",
    "/\t/evil.example",
    "/\t//evil.example",
    "/\n//evil.example",
    "/\r\n/evil.example",
    "/\x0b//evil.example",
]


def _lands_on_site(location: str) -> bool:
    """Does a Location header keep the browser on this site, read as a browser reads it?"""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = "".join(c for c in cleaned if c not in "\t\r\n").replace("\\", "/")
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return parts.scheme in ("http", "https") and parts.netloc == "localhost"
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize("target", [*OFFSITE_NEXT, "/%2F/evil.example", "/%5C/evil.example"])
def test_login_never_redirects_off_the_site(client, make_user, target):
    """POST correct credentials to /login?next=<attack>: the redirect stays on the site."""
    user = make_user()
    credentials = {"email": user.email, "password": user.password}
    # Once exactly as given (query-encoded), once pasted raw into the URL (so %2F decodes).
    for response in (client.post("/login", query_string={"next": target}, data=credentials),
                     client.post(f"/login?next={target}", data=credentials)):
        assert response.status_code == 302, (target, response.status_code)
        location = response.headers["Location"]
        assert _lands_on_site(location), (target, location)
        client.post("/logout")


def test_login_still_follows_a_same_site_next_with_a_query(client, make_work_group, make_user):
    group = make_work_group()
    user = make_user(group=group)
    response = client.post("/login", query_string={"next": f"/work-groups/{group.id}?tab=a"},
                           data={"email": user.email, "password": user.password})
    assert response.headers["Location"] in (f"/work-groups/{group.id}?tab=a",
                                             f"http://localhost/work-groups/{group.id}?tab=a")


@pytest.mark.parametrize("target", OFFSITE_NEXT)
def test_safe_next_refuses_offsite_targets(target):
    from app.forms import safe_next

    assert safe_next(target) is None, target
    assert safe_next("/lessons/3?tab=history#r2") == "/lessons/3?tab=history#r2"


# --- school-only plans: another school of the same Work Group -------------------------------------

SECRET = "Okapi fractions walls"


@pytest.fixture
def two_schools(app, make_work_group, make_user):
    """One Work Group of schools A and B; a school-A-only plan; people in A and in B."""
    from types import SimpleNamespace

    group = make_work_group()
    school_a, school_b = group.school_ids
    author = make_user("Ann Author", group=group, school_id=school_a)
    colleague = make_user("Cal Colleague", group=group, school_id=school_a)
    rival = make_user("Rob Rival", group=group, school_id=school_b)
    plan = make_plan(app, author, group, lessons=1, title=SECRET, visibility="school",
                     overview="Okapi walls: unit fractions of a length.")
    return SimpleNamespace(group=group, school_a=school_a, school_b=school_b, author=author,
                           colleague=colleague, rival=rival, plan=plan)


def _client(app, login, user):
    the_client = app.test_client()
    login(user, the_client)
    return the_client


def _heads(app, plan) -> tuple[int, int, str]:
    from app.planning.models import Lesson, Sequence

    with app.app_context():
        sequence = db.session.get(Sequence, plan.id)
        lesson = db.session.get(Lesson, plan.lesson_ids[0])
        return sequence.document.head_number, lesson.document.head_number, sequence.title


def _edit_attempts(the_client, world) -> list[tuple[str, int]]:
    """GET both edit pages and POST a save of each; (what, status) for each attempt."""
    plan = world.plan
    sequence_form = sequence_data(world.group, title="Hijacked by another school",
                                  visibility="work_group", base_number="1", summary="mine now")
    return [
        ("GET sequence edit", the_client.get(f"/sequences/{plan.id}/edit").status_code),
        ("POST sequence edit", the_client.post(f"/sequences/{plan.id}/edit",
                                               data=sequence_form).status_code),
        ("GET lesson edit", the_client.get(f"/lessons/{plan.lesson_ids[0]}/edit").status_code),
        ("POST lesson edit", the_client.post(f"/lessons/{plan.lesson_ids[0]}/edit",
                                             data=lesson_form(title="Hijacked lesson",
                                                              body="Overwritten")).status_code),
        ("POST settings", the_client.post(f"/sequences/{plan.id}/settings",
                                          data={"visibility": "all",
                                                "status": "draft"}).status_code),
    ]


def test_other_school_in_the_group_cannot_edit_a_school_only_plan(app, login, two_schools):
    world = two_schools
    before = _heads(app, world.plan)
    attempts = _edit_attempts(_client(app, login, world.rival), world)
    assert all(status in (403, 404) for _what, status in attempts), attempts
    assert _heads(app, world.plan) == before  # nothing saved


def test_site_admin_who_represents_another_school_cannot_edit_a_school_only_plan(
        app, login, make_user, two_schools):
    """Site admins read every plan, but editing needs the owning Work Group AND school."""
    world = two_schools
    admin = make_user("Ada Admin", group=world.group, school_id=world.school_b,
                      site_role="site_admin")
    the_client = _client(app, login, admin)
    assert SECRET in the_client.get(f"/sequences/{world.plan.id}").get_data(as_text=True)
    before = _heads(app, world.plan)
    attempts = _edit_attempts(the_client, world)
    assert all(status in (403, 404) for _what, status in attempts), attempts
    assert _heads(app, world.plan) == before


def test_same_school_colleague_can_edit_the_school_only_plan(app, login, two_schools):
    """The control for the two tests above: the refusals are about the school, not the form."""
    world = two_schools
    the_client = _client(app, login, world.colleague)
    assert the_client.get(f"/lessons/{world.plan.lesson_ids[0]}/edit").status_code == 200
    response = the_client.post(f"/lessons/{world.plan.lesson_ids[0]}/edit",
                               data=lesson_form(body="Colleague's improvement"))
    assert response.status_code == 302
    assert _heads(app, world.plan)[1] == 2


def test_move_to_list_never_offers_another_schools_plan(app, login, two_schools):
    """Moving a lesson lists the group's plans the mover may edit: not school A's own."""
    world = two_schools
    own = make_plan(app, world.rival, world.group, lessons=1, title="Rival's times tables",
                    school_id=str(world.school_b))
    make_plan(app, world.rival, world.group, lessons=0, title="Rival's second plan",
              school_id=str(world.school_b))
    the_client = _client(app, login, world.rival)
    page = the_client.get(f"/lessons/{own.lesson_ids[0]}/move-to").get_data(as_text=True)
    assert "Rival&#39;s second plan" in page or "Rival's second plan" in page  # the list shows
    assert SECRET not in page
    assert f'value="{world.plan.id}"' not in page
    response = the_client.post(f"/lessons/{own.lesson_ids[0]}/move-to",
                               data={"target_id": str(world.plan.id)})
    assert response.status_code in (403, 404)
    from app.planning.models import Lesson

    with app.app_context():
        assert db.session.get(Lesson, own.lesson_ids[0]).sequence_id == own.id


# --- search: school-only plans ------------------------------------------------------------------


def _search_page(the_client, query: str) -> str:
    response = the_client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _index(app) -> None:
    from app.search.indexer import catch_up, get_index, rebuild

    with app.app_context():
        get_index(app).create()
        rebuild()
        catch_up()


def test_search_hides_a_school_only_plan_from_another_school_of_the_group(app, login,
                                                                          two_schools):
    world = two_schools
    _index(app)
    hrefs = (f'href="/sequences/{world.plan.id}"', f'href="/lessons/{world.plan.lesson_ids[0]}"')
    mine = _search_page(_client(app, login, world.colleague), "okapi")
    assert all(href in mine for href in hrefs)  # the same school finds it
    for query in ("okapi", f'okapi OR "{SECRET}"', "okap*", f"okapi school:{world.school_a}"):
        page = _search_page(_client(app, login, world.rival), query)
        assert not any(href in page for href in hrefs), query
        assert "of a length" not in page, query  # no snippet of it either


def test_safe_next_keeps_same_site_paths_and_refuses_control_characters():
    from app.forms import safe_next

    for kept in ("/", "/lessons/3?tab=history#r2", "/search?q=bar models&strand=F"):
        assert safe_next(kept) == kept, kept
    for refused in ("/\x00/x", "/\x1f//evil.example", "/\x7f//evil.example", "", None):
        assert safe_next(refused) is None, repr(refused)

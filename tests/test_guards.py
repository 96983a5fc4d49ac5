"""Attacks on guards that no other test protects: each test here goes red if its guard is dropped.

Every attack comes from a second, signed-in user through the public pages: an open redirect
after login, a teacher of another school in the same Work Group editing or finding a school-only
plan.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

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

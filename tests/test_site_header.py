"""The site header's Menu button (a phone's only way into the menu) tells of what waits."""

from __future__ import annotations

import re

from app.extensions import db
from app.notifications.services import notify


def menu_button(html: str) -> str:
    found = re.search(r'<button type="button" class="menu-button"[^>]*>(.*?)</button>', html,
                      re.S)
    assert found, "no Menu button"
    return found.group(1)


def test_menu_button_counts_unread_notifications(app, client, login, make_user,
                                                 make_work_group):
    user = make_user(group=make_work_group())
    login(user)
    assert menu_button(client.get("/").get_data(as_text=True)) == "Menu"
    with app.app_context():
        notify(user.id, "mention", "Bob mentioned you", "/")
        notify(user.id, "mention", "Ann mentioned you", "/")
        db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert menu_button(html) == ('Menu <span class="nav-count">2<span class="visually-hidden">'
                                 ' new for you</span></span>')
    # The menu it opens is the one with the links, search and account.
    assert 'popovertarget="site-menu"' in html
    assert '<div class="site-menu" id="site-menu" popover>' in html


def test_logged_out_pages_have_no_menu(client):
    assert "menu-button" not in client.get("/login").get_data(as_text=True)

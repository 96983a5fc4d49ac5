"""The Work Group's cycle walked in a real Chromium by four people of the demo Work Group,
clicking links and buttons only (issue 14): plan a sequence from the Work Group home, schedule
a research lesson with focus pupils, observe it from another school after being notified,
discuss and agree changes, revise from them, see the thread on the timeline, ask for a review
that the subject leader finds from the Reviews count and approves, and start the next year
and find last year's work in search. Every page the walk reaches is checked with axe at
desktop and phone width, and maths on it must be typeset.

Set WALK_REPORT=<file> to write the pages with their axe results (for the closing note).
"""

from __future__ import annotations

import datetime
import json
import os

import pytest
from selenium.webdriver.common.by import By

from app.extensions import db
from tests.browser.test_accessibility_browser import axe  # noqa: F401 - fixture
from tests.browser.test_login_browser import demo  # noqa: F401 - fixture
from tests.browser.walk import Walk

pytestmark = pytest.mark.browser

TEACHER = "d.fenwick@thornmere.example.org"     # Daniel Fenwick, Year 3, Thornmere
OBSERVER = "b.whitaker@eskdyke.example.org"     # Ben Whitaker, Year 3, Eskdyke: another school
LEADER = "a.holt@thornmere.example.org"         # Amira Holt, Thornmere's maths subject leader
LEAD = "jo.castleford@larkmoor-hub.example.org"  # Jo Castleford, the Work Group Lead
GROUP = "Larkmoor TfM Sustaining Work Group A"

SEQUENCE = "Year 3: unit fractions of a set of objects"
LESSON = "Finding a unit fraction of a set"
KEY_POINT = r"To find $\frac{1}{4}$ of 12 we share 12 into 4 equal groups: it is 3."
NOTICED = "Pupil A drew 12 dots and circled groups of 3 before the stem sentence was shown."
CHANGE = "Show the bar model before the counters so that equal parts are seen first."
REVISED = r"A bar of 12 split into 4 equal parts first: $\frac{1}{4}$ of 12 is 3."


def test_a_work_groups_cycle_by_clicking_only(browser, live_server, live_app, demo, axe):  # noqa: F811
    walk = Walk(browser, live_server, axe, demo)
    today = datetime.date.today()

    # --- The teacher plans a sequence from the Work Group home. ---------------------------
    walk.sign_in(TEACHER)
    walk.click(GROUP)
    assert walk.heading() == GROUP
    walk.click("New sequence")
    walk.type("f-title", SEQUENCE)
    walk.choose("f-year_group", "Year 3")
    walk.choose("f-strand", "Number – fractions (including decimals and percentages)")
    walk.type("f-lesson_titles", f"{LESSON}\nFinding a non-unit fraction of a set")
    walk.press("Create sequence")
    assert walk.heading() == SEQUENCE, walk.text()[:600]
    walk.click(LESSON)
    walk.click("Edit")
    walk.type("f-key_learning_point", KEY_POINT)
    walk.type("f-duration", "60")
    walk.press("Save")
    assert walk.heading() == LESSON and "Duration: 60 minutes" in walk.text()

    # She schedules it as a research lesson, with focus pupils and an observer elsewhere.
    walk.click("Schedule a research lesson")
    observers = walk.text()
    assert "Ben Whitaker — Eskdyke Community Primary School" in observers
    assert "Daniel Fenwick —" not in observers  # never her own observer
    assert browser.find_element(By.ID, "f-key_point").get_attribute("value").startswith(
        "To find")  # the key learning point comes from the plan
    walk.set_date("f-taught_on", today.isoformat())
    walk.type("f-research_focus", "Do pupils see the equal groups before they count?")
    walk.type("f-pupils-0-code", "A")
    walk.type("f-pupils-0-profile", "Confident counter, rushes to answer")
    walk.type("f-pupils-1-code", "B")
    walk.type("f-pupils-1-profile", "New to the school; careful with manipulatives")
    walk.tick("Ben Whitaker")
    walk.press("Schedule research lesson")
    assert walk.heading() == LESSON and "Ben Whitaker" in walk.text()

    # --- A teacher from another school is notified and observes. --------------------------
    walk.sign_in(OBSERVER)
    assert LESSON in walk.text()  # "Lessons I am to observe", on her dashboard
    walk.click("Notifications", within="header", partial=True)
    walk.click(LESSON, partial=True)  # opening the notification takes her to the lesson
    assert walk.heading() == LESSON
    walk.click("Record my observation")
    assert browser.find_element(By.ID, "f-pupils-0-code").get_attribute("value") == "A"
    assert browser.find_element(By.ID, "f-pupils-1-code").get_attribute("value") == "B"
    assert "rushes to answer" in browser.find_element(
        By.ID, "f-pupils-0-profile").get_attribute("value")
    walk.type("f-pupils-0-evidence", "Counted in ones, then saw the groups of 3.")
    walk.type("f-noticings-0-note", NOTICED)
    walk.press("Save observation")
    assert NOTICED in walk.text()

    # --- The teacher records the discussion, agrees a change and revises from it. ---------
    walk.sign_in(TEACHER)
    walk.click(GROUP)
    walk.click(LESSON, partial=True)  # under "Research lessons" on the home
    walk.click("the post-lesson discussion", partial=True)
    assert NOTICED in walk.text()  # the observations sit beside the discussion form
    walk.type("f-discussion_points", "Equal parts were seen sooner with a bar than with counters.")
    walk.press("Save discussion")
    walk.type("f-change_text", CHANGE)
    walk.press("Add the change")
    assert CHANGE in walk.text()
    walk.click(LESSON, within="main nav, main .breadcrumb", partial=True)
    walk.click("Edit")
    top = walk.text()
    assert top.index(CHANGE) < top.index("Key learning point")  # the change is at the top
    walk.type("f-key_learning_point", REVISED)
    walk.tick(CHANGE[:30])  # this revision addresses the agreed change
    walk.press("Save")
    walk.click("Timeline")
    story, _, in_order = walk.text().partition("Everything, in time order")
    # The thread: the change, what the observer noticed, its agreement, the revision that made it.
    thread = story[story.index("From observation to revision"):]
    assert (thread.index(CHANGE) < thread.index(NOTICED) < thread.index("Agreed")
            < thread.index("revision 3 addressed it"))
    assert "TRG research lesson on" in thread
    # Everything in the order it happened: written, revised, taught, observed, agreed, revised.
    order = ["Revision 1", "Revision 2", "Research lesson taught", "Observation recorded",
             "Post-lesson discussion", "Change agreed", "Revision 3", "Change addressed"]
    assert [in_order.index(e) for e in order] == sorted(in_order.index(e) for e in order)

    # She asks her subject leader to review the sequence.
    walk.click(SEQUENCE, partial=True)
    walk.click("Ask for a review")
    walk.tick("Amira Holt")
    walk.press("Ask for the review")

    # --- The subject leader finds the review from the dashboard count and approves. -------
    walk.sign_in(LEADER)
    reviews = walk.link("Reviews", within="header", partial=True)
    assert any(ch.isdigit() for ch in reviews.text), "the Reviews item shows a count"
    walk.click("Reviews", within="header", partial=True)
    walk.click(SEQUENCE, partial=True)
    assert LESSON in walk.text()  # the review includes its lessons' changes
    walk.tick("Approve")
    walk.press("Send decision")
    assert "Approved: revision 1 is now the approved version for the school." in walk.text()

    # --- The Lead starts the next year and finds last year's work in search. --------------
    walk.sign_in(LEAD)
    walk.click(GROUP)
    walk.click("Start the next academic year")
    for radio in browser.find_elements(By.CSS_SELECTOR, "main input[type=radio][value=carry]"):
        walk._reveal(radio)
        radio.click()
    walk.press(walk.heading().split(" for ")[0])  # "Start 2027/28"
    box = browser.find_element(By.CSS_SELECTOR, "header input[type=search], header input[name=q]")
    box.send_keys("unit fractions last year")
    walk._press(box.find_element(By.XPATH, "ancestor::form//button"))
    walk.click(SEQUENCE, partial=True)
    assert walk.heading() == SEQUENCE, walk.text()[:600]

    # --- Every page reached: no serious or critical WCAG failure, at either width. --------
    report = os.environ.get("WALK_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as out:
            json.dump({"steps": walk.steps, "audited": walk.audited,
                       "maths": sorted(walk.maths_pages)}, out, indent=1)
    failing = {kind: found for kind, found in walk.audited.items()
               if found["desktop"] or found["phone"]}
    assert failing == {}
    assert "/lessons/<id>" in walk.maths_pages and "/research-lessons/<id>" in walk.maths_pages
    with live_app.app_context():
        db.session.remove()

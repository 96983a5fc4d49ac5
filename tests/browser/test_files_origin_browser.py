"""Another origin's page, opened by a signed-in teacher, cannot upload into her plans or read
her files (issue 15, "Tests that try to break it").

The attacker's page is served by the test from another port of the same host: another origin
but the same site, so the browser does send Coplan's cookies with its requests (SameSite=Lax
lets same-site posts through). Only Coplan's form token and the missing CORS permission stand in
the way. The page posts a file and a picture with `fetch` (a multipart body needs no preflight)
and with an ordinary form it submits, and tries to read a file and a picture with
`fetch(..., {credentials: "include"})`. The teacher's own page doing the same reads the bytes
and stores the picture (the control), so what stops the other origin is the protection, not
the test.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.files import attachments
from app.files.models import AttachmentVersion
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture
from tests.test_attachments import png

pytestmark = pytest.mark.browser

TEACHER = "s.iqbal@kestrelgate.example.org"
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
       b"%secret worksheet\n%%EOF\n")

#: The attacker's script: each attempt's outcome is written into window.results.
ATTACK = """
window.results = {};
const app = %(app)r, lesson = %(lesson)d, file = %(file)r, picture = %(picture)r;
// Files Coplan would accept from the teacher herself: a PDF and a real PNG.
const sent = {pdf: atob(%(pdf)r), png: atob(%(png)r)};
function body(field, name, type) {
  const bytes = Uint8Array.from(sent[type], c => c.charCodeAt(0));
  const form = new FormData();
  form.append(field, new Blob([bytes], {type: "application/octet-stream"}), name);
  form.append("picture_alt", "stolen");
  return form;
}
async function attempt(name, run) {
  try { results[name] = await run(); } catch (error) { results[name] = "blocked"; }
}
(async () => {
  if (%(uploads)s) {
  await attempt("upload", () => fetch(app + "/lessons/" + lesson + "/files", {
      method: "POST", mode: "no-cors", credentials: "include",
      body: body("file", "evil.pdf", "pdf")}).then(r => "sent:" + r.type));
  await attempt("picture", () => fetch(app + "/pictures/lesson/" + lesson, {
      method: "POST", mode: "no-cors", credentials: "include",
      body: body("picture", "evil.png", "png")}).then(r => "sent:" + r.type));
  }
  await attempt("read_file", () => fetch(app + file, {credentials: "include"})
      .then(r => r.text()).then(t => "read:" + t.length));
  await attempt("read_picture", () => fetch(app + picture, {credentials: "include"})
      .then(r => r.arrayBuffer()).then(b => "read:" + b.byteLength));
  await attempt("opaque_file", () => fetch(app + file, {mode: "no-cors", credentials: "include"})
      .then(r => r.text().then(t => "read:" + t.length + ":" + r.type)));
  window.done = true;
})();
"""

#: The control: Coplan's own editor page sends a picture with the token it carries.
OWN_PICTURE = """
const done = arguments[arguments.length - 1];
const bytes = Uint8Array.from(atob(arguments[1]), c => c.charCodeAt(0));
const form = new FormData();
form.append("csrf_token", document.querySelector("input[name=csrf_token]").value);
form.append("picture", new Blob([bytes], {type: "image/png"}), "own.png");
form.append("picture_alt", "Bar model");
fetch(arguments[0], {method: "POST", body: form, headers: {Accept: "application/json"}})
  .then(r => done(r.status), () => done("failed"));
"""

FORM = """<!doctype html><title>Free worksheets</title>
<form id="f" method="post" enctype="multipart/form-data" action="%(action)s">
<input type="hidden" name="csrf_token" value="guessed">
<input type="file" name="file" id="file"></form>
<script>
// The file is put into the form by script (no one chooses it), then the form is sent.
const bytes = Uint8Array.from(atob("%(pdf)s"), c => c.charCodeAt(0));
const chosen = new DataTransfer();
chosen.items.add(new File([bytes], "free-worksheet.pdf", {type: "application/pdf"}));
document.getElementById("file").files = chosen.files;
document.getElementById("f").submit();
</script>"""


class Attacker:
    """A tiny site of the attacker's on another port: /attack.html and /form.html."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                page = pages.get(self.path.split("?")[0])
                body = (page or "").encode()
                self.send_response(200 if page is not None else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


@pytest.fixture
def attacker() -> Iterator[Attacker]:
    site = Attacker()
    yield site
    site.stop()


def teachers_lesson_and_files(app) -> tuple[int, str, str]:
    """A lesson the demo teacher edits, with a PDF and a picture of hers: their URLs."""
    from app import policy
    from app.planning.models import Lesson

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == TEACHER))
        lesson = next(lesson for lesson in db.session.scalars(select(Lesson).order_by(Lesson.id))
                      if policy.can_edit_sequence(user, lesson.sequence))
        document = attachments.add(user, lesson.id, "worksheet.pdf", PDF).current
        picture = attachments.add(user, lesson.id, "model.png", png()).current
        db.session.commit()
        return (lesson.id, f"/files/{document.id}/worksheet.pdf",
                f"/files/{picture.id}/model.png")


def version_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AttachmentVersion)) or 0


def run_attack(browser, url: str) -> dict[str, str]:
    browser.get(url)
    WebDriverWait(browser, 15).until(lambda d: d.execute_script("return window.done === true"))
    return browser.execute_script("return window.results")


def test_another_origin_cannot_upload_or_read_with_the_teachers_cookies(
        browser, live_server, live_app, demo, attacker, tmp_path):  # noqa: F811
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    lesson_id, file_url, picture_url = teachers_lesson_and_files(live_app)
    before = version_count(live_app)
    log_in(browser, live_server, TEACHER, demo)
    values = {"app": live_server, "lesson": lesson_id, "file": file_url,
              "picture": picture_url, "pdf": base64.b64encode(PDF + b"%evil\n").decode(),
              "png": base64.b64encode(png((66, 6, 6))).decode()}

    # The control, on Coplan's own page: the same reads get the bytes, and a picture sent
    # with the page's token is stored.
    browser.get(f"{live_server}/lessons/{lesson_id}/edit")
    browser.execute_script(ATTACK % {**values, "uploads": "false"})
    WebDriverWait(browser, 15).until(lambda d: d.execute_script("return window.done === true"))
    own = browser.execute_script("return window.results")
    assert own["read_file"] == f"read:{len(PDF)}"
    assert own["read_picture"].startswith("read:") and own["read_picture"] != "read:0"
    stored = browser.execute_async_script(OWN_PICTURE, f"/pictures/lesson/{lesson_id}",
                                          base64.b64encode(png((1, 2, 3))).decode())
    assert stored == 201
    before += 1
    assert version_count(live_app) == before

    # The other origin's page, in the same browser, with the same cookies: first an ordinary
    # form, its file put in by script and sent on load. Coplan refuses it.
    attacker.pages["/form.html"] = FORM % {
        "action": f"{live_server}/lessons/{lesson_id}/files", "pdf": values["pdf"]}
    browser.get(attacker.url + "/form.html")
    WebDriverWait(browser, 10).until(lambda d: d.current_url.startswith(live_server))
    assert "Added" not in browser.page_source
    assert version_count(live_app) == before
    # Then its script, with fetch.
    attack = ATTACK % {**values, "uploads": "true"}
    attacker.pages["/attack.html"] = f"<!doctype html><script>{attack}</script>"
    results = run_attack(browser, attacker.url + "/attack.html")
    # Sent (the browser does not say what came back) ...
    assert results["upload"] == results["picture"] == "sent:opaque"
    assert results["read_file"] == "blocked" and results["read_picture"] == "blocked"
    # An opaque answer: nothing of the file reaches the page.
    assert results["opaque_file"] in ("blocked", "read:0:opaque")
    # ... and refused: nothing stored.
    time.sleep(0.5)
    assert version_count(live_app) == before

    # She is still signed in (the cookies were there all along) and her files are as they were.
    browser.get(f"{live_server}/lessons/{lesson_id}/files")
    page = browser.page_source
    assert "worksheet.pdf" in page and "evil" not in page and "free-worksheet" not in page

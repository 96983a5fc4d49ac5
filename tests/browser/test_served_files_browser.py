"""Opening every served file in a real browser runs no script (issue 15, "tries to break it").

Every kind the allowlist accepts is uploaded with content built to run script should a
browser ever treat it as a page: HTML with `<script>` in a picture's comment and after its
end, in a PDF's first line, in office and Keynote members; a PDF with a JavaScript
OpenAction. Each payload, if it ever ran or was rendered as HTML, would call a beacon (a tiny
HTTP server of the test's own, on another port), write Coplan's localStorage and cookies, and
set `window.name` and the title. Chromium then opens each served URL directly and embedded
(img, iframe, object, embed) in a Coplan page, and the test proves the beacon heard nothing
and Coplan's origin is untouched. A control page served by the beacon with the same payload
proves the detector does fire when script runs. The refused kinds (HTML named .png, SVG with
script, a GIF/HTML polyglot that is no picture) are refused at upload.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import docx
import pptx
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.files import attachments
from app.files.models import AttachmentVersion
from tests.browser.test_login_browser import demo, log_in  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

TEACHER = "s.iqbal@kestrelgate.example.org"


class Beacon:
    """Records every request it gets; /control.html is a page that runs the payload."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                beacon.hits.append(self.path)
                if self.path.startswith("/control.html"):
                    body = payload(beacon.url, "control").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_response(204)
                    self.send_header("Access-Control-Allow-Origin", "*")
                    self.end_headers()

            do_POST = do_GET  # noqa: N815 - a PDF's submitForm would post

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    server = Beacon()
    yield server
    server.stop()


def payload(beacon: str, kind: str) -> str:
    """A page that, run or merely rendered, tells the beacon and marks Coplan's origin."""
    mark = f"pwned-{kind}"
    return (
        f'<!doctype html><html><head><title>{mark}</title>'
        f'<meta http-equiv="refresh" content="0;url={beacon}/refresh?k={kind}">'
        f'<link rel="stylesheet" href="{beacon}/css?k={kind}"></head><body>'
        f'<script>fetch("{beacon}/script?k={kind}");'
        f'localStorage.setItem("pwned", "{kind}");'
        f'document.cookie = "pwned={kind}; path=/";'
        f'window.name = "{mark}"; document.title = "{mark}";'
        f'try {{ top.document.title = "{mark}"; top.localStorage.setItem("pwned", "{kind}"); }}'
        f' catch (e) {{}}</script>'
        f'<img src="{beacon}/img?k={kind}" onerror="fetch(\'{beacon}/onerror?k={kind}\')">'
        f'<iframe src="{beacon}/frame?k={kind}"></iframe></body></html>')


# --- files built to try -------------------------------------------------------------------------


def picture(fmt: str, script: str, **save: object) -> bytes:
    out = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, (24, 16), 1 if mode == "P" else (30, 90, 200)).save(out, format=fmt, **save)
    # HTML after the picture's end too: a sniffing browser would find it.
    return out.getvalue() + script.encode()


def png(script: str) -> bytes:
    info = PngInfo()
    info.add_text("Comment", script)
    return picture("PNG", script, pnginfo=info)


def pdf(script: str, beacon: str) -> bytes:
    """A PDF whose first line is a page with script, opening with JavaScript that calls the
    beacon (and a URI action, and a page-open action)."""
    js = (f'app.launchURL("{beacon}/pdf-launch", true); this.submitForm("{beacon}/pdf-submit");'
          f' this.getURL("{beacon}/pdf-geturl");')
    objects = [
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /AA << /WC 5 0 R >> "
        "/Names << /JavaScript << /Names [(x) 4 0 R] >> >> >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /AA << /O 5 0 R >> >>",
        f"<< /S /JavaScript /JS ({js}) /Next 5 0 R >>",
        f"<< /S /URI /URI ({beacon}/pdf-uri) >>",
    ]
    out = b"%PDF-1.4\n%" + script.encode() + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    return out + f"startxref\n{xref}\n%%EOF\n".encode()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            # Stored, not compressed: the script is there in the bytes as sent.
            archive.writestr(name, body, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def with_raw_script(saved: bytes, script: str) -> bytes:
    """An office file as its library saved it (the script as escaped text), plus the script
    raw in a first, uncompressed part: its tags are in the served bytes near the start."""
    members = {"customXml/probe.xml": b"<root><!-- " + script.encode() + b" --></root>"}
    with zipfile.ZipFile(io.BytesIO(saved)) as source:
        members |= {name: source.read(name) for name in source.namelist()}
    return zip_of(members)


def docx_file(script: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(script)
    out = io.BytesIO()
    document.save(out)
    return with_raw_script(out.getvalue(), script)


def pptx_file(script: str) -> bytes:
    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[1]).shapes.title.text = script
    out = io.BytesIO()
    deck.save(out)
    return with_raw_script(out.getvalue(), script)


def xlsx_file(script: str) -> bytes:
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    text = script.replace("&", "&amp;").replace("<", "&lt;")
    return zip_of({
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            f'ContentType="{main}.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            f'sheet1.xml" ContentType="{main}.worksheet+xml"/></Types>').encode(),
        "_rels/.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="r1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            b'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets>'
            b'</workbook>'),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
            f'{text}</t></is></c></row></sheetData></worksheet>').encode(),
        "customXml/probe.xml": b"<root><!-- " + script.encode() + b" --></root>",
    })


def odf_file(kind: str, script: str) -> bytes:
    return zip_of({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(),
                   "content.xml": b"<office:document-content><!-- " + script.encode()
                   + b" --></office:document-content>",
                   "META-INF/manifest.xml": b"<manifest:manifest/>"})


def keynote_file(script: str) -> bytes:
    return zip_of({"Index/Document.iwa": script.encode(), "Index/Slide-1.iwa": script.encode(),
                   "Metadata/Properties.plist": script.encode()})


@dataclass
class Served:
    kind: str
    name: str
    version_id: int
    url: str
    media_type: str
    data: bytes

    @property
    def inline(self) -> bool:
        return self.media_type.startswith("image/")


def accepted_files(beacon: str) -> dict[str, tuple[str, bytes]]:
    """kind -> (uploaded name, bytes): one of every type the allowlist takes."""
    def script(kind: str) -> str:
        return payload(beacon, kind)

    return {
        "png": ("bar model.png", png(script("png"))),
        "jpeg": ("photo.jpg", picture("JPEG", script("jpeg"),
                                      comment=script("jpeg").encode())),
        "gif": ("cat.gif", picture("GIF", script("gif"), comment=script("gif").encode())),
        "webp": ("array.webp", picture("WEBP", script("webp"))),
        "pdf": ("worksheet.pdf", pdf(script("pdf"), beacon)),
        "docx": ("plan.docx", docx_file(script("docx"))),
        "pptx": ("slides.pptx", pptx_file(script("pptx"))),
        "xlsx": ("marks.xlsx", xlsx_file(script("xlsx"))),
        "odt": ("notes.odt", odf_file("text", script("odt"))),
        "odp": ("talk.odp", odf_file("presentation", script("odp"))),
        "ods": ("sheet.ods", odf_file("spreadsheet", script("ods"))),
        "key": ("talk.key", keynote_file(script("key"))),
        # The name tries too: it is shown on the Files page and sent in a header.
        "named": (f'"><img src="{beacon}/name">.pdf', pdf(script("named"), beacon)),
    }


def refused_files(beacon: str) -> dict[str, tuple[str, bytes]]:
    return {
        "html named .png": ("diagram.png", payload(beacon, "html-png").encode()),
        "svg with script": ("drawing.svg", (
            '<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'' + beacon
            + '/svg\')"><script>fetch("' + beacon + '/svg-script")</script></svg>').encode()),
        "gif/html polyglot": ("cat.gif", b"GIF89a" + payload(beacon, "polyglot").encode()),
    }


def upload_all(app, lesson_id: int, files: dict[str, tuple[str, bytes]]) -> list[Served]:
    served = []
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == TEACHER))
        for kind, (name, data) in files.items():
            attachment = attachments.add(user, lesson_id, name, data)
            version = attachment.current
            served.append(Served(kind, version.display_name, version.id,
                                 f"/files/{version.id}/{kind}.{version.extension}",
                                 version.media_type, data))
        db.session.commit()
    return served


def first_lesson(app) -> int:
    from app.planning.models import Lesson

    with app.app_context():
        return db.session.query(Lesson).order_by(Lesson.id).first().id


def version_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AttachmentVersion)) or 0


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def marks(browser) -> dict[str, str]:
    """What a payload would have left on the page's origin."""
    # A document the sandbox gave an opaque origin has no storage or cookies to read at all.
    return browser.execute_script("""
        const read = (get) => { try { return String(get()); } catch (e) { return 'sandboxed'; } };
        return {storage: read(() => localStorage.getItem('pwned')),
                cookie: read(() => document.cookie), name: window.name,
                title: document.title};""")


def test_no_served_file_runs_script_in_a_real_browser(browser, live_server, live_app,
                                                      demo, beacon, tmp_path):  # noqa: F811
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    lesson_id = first_lesson(live_app)
    files = upload_all(live_app, lesson_id, accepted_files(beacon.url))
    assert {f.media_type.split("/")[0] for f in files} == {"image", "application"}
    # Pictures were re-encoded: no payload left in the bytes Coplan serves.
    with live_app.app_context():
        from app.files.storage import get_store

        for f in files:
            with get_store().open(db.session.get(AttachmentVersion, f.version_id)
                                  .blob_hash) as stream:
                stored = stream.read()
            assert (b"<script" in stored) == (not f.inline), f.kind

    # The control: the same payload on a page that may run it is heard by the beacon.
    browser.get(beacon.url + "/control.html")
    assert wait_for(lambda: any(hit.startswith("/script?k=control") for hit in beacon.hits)), \
        f"the detector did not fire on a page that runs script: {beacon.hits}"
    assert browser.execute_script("return localStorage.getItem('pwned')") == "control"
    # Clean up after the control: window.name follows the tab, and cookies do not keep to a
    # port, so Coplan's pages (same host, another port) would see its marks.
    browser.execute_script("window.name = ''; document.cookie = 'pwned=; max-age=0; path=/';")
    beacon.hits.clear()

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior",
                            {"behavior": "allow", "downloadPath": str(downloads)})
    log_in(browser, live_server, TEACHER, demo)
    assert marks(browser)["storage"] == "null"

    # 1. Each file opened directly, as a link followed or an address typed.
    for f in files:
        browser.get(live_server + f.url)
        time.sleep(0.3)
        left = marks(browser)
        assert "pwned" not in left["storage"] + left["cookie"] + left["name"] + left["title"], \
            (f.kind, left)
        if f.inline:  # shown as a picture, nothing else
            assert browser.execute_script(
                "return document.images.length === 1 && document.scripts.length === 0 && "
                "document.images[0].naturalWidth === 24"), f.kind
    # Everything but pictures was saved as a file (byte for byte), not shown.
    expected = {hashlib.sha256(f.data).hexdigest() for f in files if not f.inline}

    def saved() -> set[str]:
        return {hashlib.sha256(p.read_bytes()).hexdigest() for p in downloads.iterdir()
                if not p.name.endswith(".crdownload")}

    assert wait_for(lambda: expected <= saved(), 20), \
        f"not downloaded: {sorted(p.name for p in downloads.iterdir())}"

    # 2. Embedded in a page of Coplan's own origin: the lesson's Files page, which lists them
    # all by name too.
    browser.get(f"{live_server}/lessons/{lesson_id}/files")
    browser.execute_script("""
        for (const url of arguments[0]) {
            const img = document.createElement('img'); img.src = url;
            const frame = document.createElement('iframe'); frame.src = url;
            const object = document.createElement('object'); object.data = url;
            const embed = document.createElement('embed'); embed.src = url;
            document.body.append(img, frame, object, embed);
        }""", [live_server + f.url for f in files])
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete)"))
    shown = browser.execute_script(
        "return Array.from(document.images).filter(i => i.naturalWidth === 24).length")
    assert shown == sum(1 for f in files if f.inline)  # the pictures do show as pictures
    time.sleep(1.5)  # room for anything slow to call out

    # 3. Nothing ran, nothing was rendered as a page, and Coplan's origin is untouched.
    assert beacon.hits == []
    browser.get(live_server + "/")
    left = marks(browser)
    assert "pwned" not in left["storage"] + left["cookie"] + left["name"] + left["title"], left
    assert browser.find_element(By.TAG_NAME, "h1").text

    # 4. The kinds that could run script are refused at upload, and nothing is stored.
    before = version_count(live_app)
    with live_app.app_context():
        user = db.session.scalar(select(User).where(User.email == TEACHER))
        for kind, (name, data) in refused_files(beacon.url).items():
            with pytest.raises(attachments.UploadRefused) as refusal:
                attachments.add(user, lesson_id, name, data)
            assert refusal.value.message, kind
            db.session.rollback()
    assert version_count(live_app) == before
    assert beacon.hits == []


def test_refused_kinds_are_refused_through_the_upload_page(browser, live_server, live_app,
                                                           demo, beacon, tmp_path):  # noqa: F811
    """The same refusals as a teacher meets them: a message on the page, nothing listed."""
    live_app.config["FILES_DIR"] = str(tmp_path / "files")
    lesson_id = first_lesson(live_app)
    log_in(browser, live_server, TEACHER, demo)
    for kind, (name, data) in refused_files(beacon.url).items():
        path = tmp_path / name
        path.write_bytes(data)
        browser.get(f"{live_server}/lessons/{lesson_id}/files")
        browser.find_element(By.ID, "f-file").send_keys(str(path))
        button = browser.find_element(By.CSS_SELECTOR, "#upload-heading ~ form button")
        button.click()
        summary = WebDriverWait(browser, 10).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"))
        assert summary[0].text, kind
        assert version_count(live_app) == 0, kind
    time.sleep(0.5)
    assert beacon.hits == []
    assert marks(browser)["storage"] == "null"


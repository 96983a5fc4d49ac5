"""Files attached to lessons (issue 15, items 2 and 4): upload, list, versions, remove and
restore, what is refused, and who may see, download and change them."""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.accounts.models import User
from app.extensions import db
from app.files import attachments
from app.files.models import Attachment, AttachmentVersion, FileBlob
from tests.planning_helpers import make_plan, signed_in

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf(extra: bytes = b"", size: int = 0) -> bytes:
    """A small PDF; `size` pads it (a comment line) to about that many bytes."""
    body = PDF + extra
    if size > len(body):
        body += b"%" + b"x" * (size - len(body) - 2) + b"\n"
    return body


def png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 8), colour).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo as it leaves the phone: GPS position and the camera's owner in its EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = "Ms Example, Example Primary"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 40.0)
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def post_file(client, url: str, name: str, data: bytes):
    """A multipart POST built in memory (the test client spools large bodies to a temporary
    file it never closes)."""
    boundary, body = encode_multipart(
        {"csrf_token": client.csrf_token(), "file": FileStorage(io.BytesIO(data), name)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(client, lesson_id: int, name: str, data: bytes):
    return post_file(client, f"/lessons/{lesson_id}/files", name, data)


def replace(client, lesson_id: int, attachment_id: int, name: str, data: bytes):
    return post_file(client, f"/lessons/{lesson_id}/files/{attachment_id}/replace", name, data)


def versions(app) -> list[SimpleNamespace]:
    with app.app_context():
        rows = db.session.scalars(select(AttachmentVersion).order_by(AttachmentVersion.id))
        return [SimpleNamespace(id=v.id, attachment_id=v.attachment_id, number=v.number,
                                name=v.display_name, size=v.size) for v in rows]


def stored(app) -> dict[str, int]:
    """How much the upload left behind: rows, and blob files in the folder store."""
    with app.app_context():
        counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                  for model in (Attachment, AttachmentVersion, FileBlob)}
    folder = Path(app.config["FILES_DIR"])
    counts["files on disk"] = sum(1 for p in folder.rglob("*") if p.is_file()) \
        if folder.exists() else 0
    return counts


NOTHING = {"Attachment": 0, "AttachmentVersion": 0, "FileBlob": 0, "files on disk": 0}


def download(client, version_id: int, name: str = "x"):
    return client.get(f"/files/{version_id}/{name}")


def assert_safe(response) -> None:
    """The headers every served file has, whatever it is."""
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "sandbox"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]


@pytest.fixture
def team(app, tmp_path, make_work_group, make_user) -> SimpleNamespace:
    """A plan of a two-school Work Group, its author, a colleague from the other school, a
    teacher of another Work Group in the same hub and one of another hub's school."""
    # The folder store (SQLite) keeps this test's files in its own folder.
    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    owner = make_user("Olu Owner", group=group)
    colleague = make_user("Cal Colleague", group=group, school_id=group.school_ids[1])
    neighbour_group = make_work_group("NCP 24-12", hub_id=group.hub_id)
    neighbour = make_user("Nia Neighbour", group=neighbour_group)
    stranger = make_user("Sol Stranger", group=make_work_group("NCP 24-13"))
    plan = make_plan(app, owner, group)
    return SimpleNamespace(group=group, owner=owner, colleague=colleague, neighbour=neighbour,
                           stranger=stranger, plan=plan, lesson_id=plan.lesson_ids[0])


def test_upload_lists_the_file_and_serves_it_as_an_attachment(app, team):
    owner = signed_in(app, team.owner)
    lesson = owner.get(f"/lessons/{team.lesson_id}")
    assert f'href="/lessons/{team.lesson_id}/files"' in lesson.get_data(as_text=True)

    page = owner.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert "faces and names do not belong in Coplan" in page

    data = pdf(size=3000)
    response = upload(owner, team.lesson_id, "Fraction wall.pdf", data)
    assert response.status_code == 303

    page = owner.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert "Fraction wall.pdf" in page and "PDF" in page and "3 KB" in page
    assert "Olu Owner" in page
    [version] = versions(app)
    assert f'href="/files/{version.id}/Fraction_wall.pdf"' in page

    served = owner.get(f"/files/{version.id}/Fraction_wall.pdf")
    assert_safe(served)
    assert served.data == data
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Fraction%20wall.pdf" in served.headers["Content-Disposition"]
    # The colleague from the other school of the Work Group reads the plan, so the file too.
    assert_safe(download(signed_in(app, team.colleague), version.id))
    # Sending the file (read from the database on PostgreSQL) left no connection in use.
    with app.app_context():
        assert db.engine.pool.checkedout() == 0


def test_pictures_are_shown_inline_everything_else_is_downloaded(app, team):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "bar model.png", png())
    upload(owner, team.lesson_id, "worksheet.pdf", pdf())
    picture, document = versions(app)
    shown = download(owner, picture.id)
    assert_safe(shown)
    assert shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline;")
    saved = download(owner, document.id)
    assert_safe(saved)
    assert saved.headers["Content-Disposition"].startswith("attachment;")


def test_a_file_uploaded_as_a_png_but_holding_html_is_refused(app, team):
    owner = signed_in(app, team.owner)
    html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    response = upload(owner, team.lesson_id, "diagram.png", html)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and "named like a picture" in page
    assert 'aria-invalid="true"' in page
    assert stored(app) == NOTHING


def test_a_file_over_the_limit_is_refused_and_nothing_is_stored(app, team):
    owner = signed_in(app, team.owner)
    # The default limit: a 26 MB body is refused before it is read.
    response = upload(owner, team.lesson_id, "slides.pdf", pdf(size=26 * 1024 * 1024))
    assert response.status_code == 413
    assert "over the 25 MB limit per file" in response.get_data(as_text=True)
    assert stored(app) == NOTHING

    # Just over a lower limit, so the request body fits its envelope: a field error.
    app.config["FILES_MAX_BYTES"] = 50_000
    response = upload(owner, team.lesson_id, "slides.pdf", pdf(size=50_001))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page and "the limit is" in page
    assert stored(app) == NOTHING


def test_files_larger_than_other_forms_may_be_are_accepted_up_to_the_limit(app, team):
    owner = signed_in(app, team.owner)
    assert app.config["MAX_CONTENT_LENGTH"] < 3 * 1024 * 1024
    data = pdf(size=3 * 1024 * 1024)
    # Not for someone signed out: the app's usual limit, before the body is read.
    assert upload(app.test_client(), team.lesson_id, "big deck.pdf", data).status_code == 413
    assert upload(owner, team.lesson_id, "big deck.pdf", data).status_code == 303
    [version] = versions(app)
    assert download(owner, version.id).data == data


def test_a_work_group_over_its_quota_is_told_so(app, team):
    app.config["FILES_GROUP_QUOTA_BYTES"] = 5000
    owner = signed_in(app, team.owner)
    assert upload(owner, team.lesson_id, "one.pdf", pdf(size=3000)).status_code == 303
    response = upload(owner, team.lesson_id, "two.pdf", pdf(b"2", size=3000))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "does not fit" in page and "of the 5 KB" in page
    assert [v.name for v in versions(app)] == ["one.pdf"]
    # Replacing counts too: the old version is kept.
    attachment_id = versions(app)[0].attachment_id
    response = replace(owner, team.lesson_id, attachment_id, "one.pdf", pdf(b"3", size=3000))
    assert response.status_code == 400 and "does not fit" in response.get_data(as_text=True)
    assert len(versions(app)) == 1


def test_replacing_keeps_the_earlier_version_downloadable(app, team):
    owner = signed_in(app, team.owner)
    first, second = pdf(b"% one\n"), pdf(b"% two\n")
    upload(owner, team.lesson_id, "slides.pdf", first)
    [v1] = versions(app)
    response = replace(owner, team.lesson_id, v1.attachment_id, "slides v2.pdf", second)
    assert response.status_code == 303
    v1, v2 = versions(app)
    assert (v1.number, v2.number) == (1, 2) and v2.attachment_id == v1.attachment_id
    page = owner.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert "slides v2.pdf" in page and "version 2" in page and "Earlier versions (1)" in page
    assert f"/files/{v1.id}/slides.pdf" in page
    assert download(owner, v1.id).data == first
    assert download(owner, v2.id).data == second


def test_a_refused_replacement_keeps_the_file_as_it_was(app, team):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [v1] = versions(app)
    response = replace(owner, team.lesson_id, v1.attachment_id, "slides.pdf", b"plain text")
    assert response.status_code == 400
    assert f'id="f-replace-{v1.attachment_id}-error"' in response.get_data(as_text=True)
    assert len(versions(app)) == 1


def test_remove_then_restore(app, team, make_user):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "worksheet.pdf", pdf())
    [version] = versions(app)
    colleague = signed_in(app, team.colleague)

    response = owner.post(f"/lessons/{team.lesson_id}/files/{version.attachment_id}/remove")
    assert response.status_code == 303
    page = owner.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert "Removed files" in page and "Restore" in page
    # Nothing is deleted: whoever can restore it can still fetch it.
    assert download(owner, version.id).status_code == 200
    assert stored(app)["AttachmentVersion"] == 1

    refused = replace(owner, team.lesson_id, version.attachment_id, "worksheet.pdf", pdf(b"2"))
    assert refused.status_code == 400 and "Restore it first" in refused.get_data(as_text=True)

    response = owner.post(f"/lessons/{team.lesson_id}/files/{version.attachment_id}/restore")
    assert response.status_code == 303
    page = colleague.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert "worksheet.pdf" in page and "Removed files" not in page
    assert_safe(download(colleague, version.id))


def test_a_removed_file_is_gone_for_readers_who_cannot_restore_it(app, team):
    owner = signed_in(app, team.owner)
    owner.post(f"/sequences/{team.plan.id}/settings",
               data={"visibility": "hub", "status": "draft"})
    upload(owner, team.lesson_id, "worksheet.pdf", pdf())
    [version] = versions(app)
    neighbour = signed_in(app, team.neighbour)
    assert download(neighbour, version.id).status_code == 200
    owner.post(f"/lessons/{team.lesson_id}/files/{version.attachment_id}/remove")
    assert download(neighbour, version.id).status_code == 404
    page = neighbour.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert "worksheet.pdf" not in page
    with app.test_request_context():
        reader = db.session.get(User, team.neighbour.id)
        assert attachments.list_for_lesson(reader, team.lesson_id).attachments == []


def test_names_never_reach_a_path_or_a_header(app, team):
    owner = signed_in(app, team.owner)
    assert upload(owner, team.lesson_id, "../../evil.png", png()).status_code == 303
    # A browser sends such a name percent-encoded or cut; the service gets it as typed.
    with app.test_request_context():
        author = db.session.get(User, team.owner.id)
        attachments.add(author, team.lesson_id, 'a"\r\nX: y.pdf', pdf())
        db.session.commit()
    picture, document = versions(app)
    assert picture.name == "evil.png"

    page = owner.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    links = re.findall(r'href="(/files/[^"]*)"', page)
    assert f"/files/{picture.id}/evil.png" in links
    assert not any(".." in link or "\r" in link or "\n" in link for link in links)

    served = download(owner, picture.id)
    assert_safe(served)
    assert served.headers["Content-Disposition"] == (
        "inline; filename=evil.png; filename*=UTF-8''evil.png")
    served = download(owner, document.id)
    assert_safe(served)
    disposition = served.headers["Content-Disposition"]
    assert "X" not in served.headers  # no header of the sender's making
    assert disposition == "attachment; filename=a_X_y.pdf; filename*=UTF-8''a%20X%3A%20y.pdf"

    # Stored under the content's hash only, whatever the name said.
    folder = Path(app.config["FILES_DIR"])
    if folder.exists():
        for path in folder.rglob("*"):
            if path.is_file():
                assert re.fullmatch(r"[0-9a-f]{64}", path.name), path


def test_a_photo_is_served_without_its_exif(app, team):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as img:
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has a position
    owner = signed_in(app, team.owner)
    assert upload(owner, team.lesson_id, "pupils work.jpg", original).status_code == 303
    [version] = versions(app)
    served = download(owner, version.id)
    assert_safe(served)
    assert served.mimetype == "image/jpeg"
    assert b"Exif" not in served.data and b"Example Primary" not in served.data
    with Image.open(io.BytesIO(served.data)) as img:
        assert not img.getexif()
        assert img.size == (32, 24)


def test_people_who_cannot_see_the_lesson_get_404_everywhere(app, team):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [version] = versions(app)
    for person in (team.neighbour, team.stranger):
        other = signed_in(app, person)
        assert other.get(f"/lessons/{team.lesson_id}/files").status_code == 404
        assert download(other, version.id, "slides.pdf").status_code == 404
        assert upload(other, team.lesson_id, "mine.pdf", pdf(b"x")).status_code == 404
        assert replace(other, team.lesson_id, version.attachment_id, "mine.pdf",
                       pdf(b"y")).status_code == 404
        assert other.post(f"/lessons/{team.lesson_id}/files/{version.attachment_id}/remove"
                          ).status_code == 404
    assert download(owner, version.id + 1000).status_code == 404
    assert len(versions(app)) == 1


def test_narrowing_the_plan_to_one_school_stops_the_next_download(app, team):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [version] = versions(app)
    colleague = signed_in(app, team.colleague)
    assert_safe(download(colleague, version.id))

    response = owner.post(f"/sequences/{team.plan.id}/settings",
                          data={"visibility": "school", "status": "draft"})
    assert response.status_code == 302
    assert download(colleague, version.id).status_code == 404
    assert colleague.get(f"/lessons/{team.lesson_id}/files").status_code == 404
    assert_safe(download(owner, version.id))


def test_a_reader_who_may_not_edit_cannot_change_files(app, team):
    owner = signed_in(app, team.owner)
    owner.post(f"/sequences/{team.plan.id}/settings", data={"visibility": "hub", "status": "draft"})
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [version] = versions(app)
    reader = signed_in(app, team.neighbour)
    page = reader.get(f"/lessons/{team.lesson_id}/files")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "slides.pdf" in text and 'type="file"' not in text and "Remove" not in text
    assert_safe(download(reader, version.id))

    assert upload(reader, team.lesson_id, "mine.pdf", pdf(b"x")).status_code == 403
    assert reader.post(f"/lessons/{team.lesson_id}/files", data={}).status_code == 403
    assert replace(reader, team.lesson_id, version.attachment_id, "mine.pdf",
                   pdf(b"y")).status_code == 403
    assert reader.post(f"/lessons/{team.lesson_id}/files/{version.attachment_id}/remove"
                       ).status_code == 403
    assert len(versions(app)) == 1
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is None


def test_an_upload_without_a_file_asks_for_one(app, team):
    owner = signed_in(app, team.owner)
    response = owner.post(f"/lessons/{team.lesson_id}/files", data={},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file to upload." in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_uploads_and_replacements_are_limited_per_person(app, team):
    app.config["UPLOAD_LIMIT"] = "3 per minute"
    owner = signed_in(app, team.owner)
    codes = [upload(owner, team.lesson_id, f"sheet {n}.pdf", pdf(b"%d" % n)).status_code
             for n in range(2)]
    attachment_id = versions(app)[0].attachment_id
    codes.append(replace(owner, team.lesson_id, attachment_id, "v2.pdf", pdf(b"v2")).status_code)
    assert codes == [303, 303, 303]
    before = stored(app)
    # Uploads and replacements share one allowance.
    refused = upload(owner, team.lesson_id, "one more.pdf", pdf(b"more"))
    assert refused.status_code == 429
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert replace(owner, team.lesson_id, attachment_id, "v3.pdf",
                   pdf(b"v3")).status_code == 429
    assert stored(app) == before
    # A colleague uploading at the same time is not held up.
    colleague = signed_in(app, team.colleague)
    assert upload(colleague, team.lesson_id, "mine.pdf", pdf(b"mine")).status_code == 303


def test_a_large_body_from_someone_who_may_not_upload_is_refused_unread(app, team):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [version] = versions(app)
    before = stored(app)
    data = pdf(size=5 * 1024 * 1024)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    for person in (team.stranger, team.neighbour):
        other = signed_in(app, person)
        # The app's usual limit applies to them: refused before the body is read.
        assert upload(other, team.lesson_id, "big.pdf", data).status_code == 413
        assert replace(other, team.lesson_id, version.attachment_id, "big.pdf",
                       data).status_code == 413
        # A small body is read, and gets the usual answer.
        assert upload(other, team.lesson_id, "small.pdf", pdf(b"s")).status_code == 404
    assert stored(app) == before
    # The owner still may send a file that size.
    assert upload(owner, team.lesson_id, "big.pdf", data).status_code == 303


def test_a_file_can_only_be_changed_through_its_own_lesson(app, team):
    other_plan = make_plan(app, team.owner, team.group)
    other_lesson = other_plan.lesson_ids[0]
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [version] = versions(app)
    wrong = f"/lessons/{other_lesson}/files/{version.attachment_id}"
    assert replace(owner, other_lesson, version.attachment_id, "new.pdf",
                   pdf(b"new")).status_code == 404
    assert owner.post(f"{wrong}/remove").status_code == 404
    assert len(versions(app)) == 1
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is None
    owner.post(f"/lessons/{team.lesson_id}/files/{version.attachment_id}/remove")
    assert owner.post(f"{wrong}/restore").status_code == 404
    with app.app_context():
        assert db.session.get(Attachment, version.attachment_id).removed_at is not None


def test_parallel_replacements_each_get_the_next_version(app, team):
    owner = signed_in(app, team.owner)
    upload(owner, team.lesson_id, "slides.pdf", pdf())
    [first] = versions(app)
    clients = [signed_in(app, team.owner) for _ in range(4)]
    start = threading.Barrier(len(clients))

    def send(n: int) -> int:
        start.wait()
        return replace(clients[n], team.lesson_id, first.attachment_id, f"v{n}.pdf",
                       pdf(b"%% parallel %d\n" % n)).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        codes = list(pool.map(send, range(len(clients))))
    assert codes == [303] * 4
    assert sorted(v.number for v in versions(app)) == [1, 2, 3, 4, 5]
    with app.app_context():
        listed = set(db.session.scalars(select(FileBlob.hash)))
        used = set(db.session.scalars(select(AttachmentVersion.blob_hash)))
    assert used <= listed and len(used) == 5

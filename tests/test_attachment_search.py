"""The text inside attached PDF, DOCX and PPTX files is searchable (issue 15, item 6).

Files are built in the test and uploaded through the Files page. The work after the response
is driven by hand (`extraction.extract_pending()`, then the change log applied, as the host's
indexer would), except in the tests that prove the request itself reads nothing and that the
after-response reader really runs. Everything runs on Whoosh (SQLite and PostgreSQL) and on the
PostgreSQL search backend when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import io
import random
import re
import shutil
import string
import time
import zipfile
from types import SimpleNamespace

import pptx
import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.core.files.extract import NOTE_UNREADABLE
from app.core.search.documents import MAX_FILE_TEXT_CHARS
from app.extensions import db
from app.files import extraction
from app.files.models import Attachment, AttachmentVersion
from app.search import indexer, sources
from app.timeutil import utcnow
from tests.core.test_file_extraction import docx_bytes, pdf_with_pages
from tests.planning_helpers import make_plan, signed_in
from tests.sql_helpers import statements_sent
from tests.test_attachments import png, replace, upload
from tests.test_search import indexed  # noqa: F401 - fixture: Whoosh, and PostgreSQL when set

# --- files made here ---------------------------------------------------------------------------


def pptx_with(title: str, text: str) -> bytes:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = title
    slide.placeholders[1].text = text
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def mild_bomb_docx(uncompressed_mb: int) -> bytes:
    """A .docx whose document part inflates to `uncompressed_mb` MiB: each paragraph holds a
    little random text, so the ratio stays under the upload's bound and it is stored."""
    noise = random.Random(15).choices(string.ascii_lowercase, k=12 * 1024)
    paragraph = ("<w:p><w:r><w:t>" + "a" * 900 + "</w:t></w:r></w:p>").encode()
    out = io.BytesIO()
    with (zipfile.ZipFile(io.BytesIO(docx_bytes("x"))) as real,
          zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive):
        for name in real.namelist():
            if name != "word/document.xml":
                archive.writestr(name, real.read(name))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body>')
            for n in range(uncompressed_mb):
                # 1 MiB of paragraphs and 12 KiB of letters that do not compress away.
                member.write(paragraph * 1130)
                member.write(("<w:p><w:r><w:t>" + "".join(noise[n % 7:] + noise[:n % 7])
                              + "</w:t></w:r></w:p>").encode())
            member.write(b"</w:body></w:document>")
    return out.getvalue()


# --- the world and its actions -----------------------------------------------------------------


@pytest.fixture
def team(indexed, tmp_path, make_work_group, make_user) -> SimpleNamespace:  # noqa: F811
    """A Work-Group-only plan, its author, a colleague in the group's other school, a teacher
    of another Work Group in the same hub and one of another hub."""
    app = indexed
    app.config["FILES_DIR"] = str(tmp_path / "files")
    group = make_work_group()
    owner = make_user("Olu Owner", group=group)
    colleague = make_user("Cal Colleague", group=group, school_id=group.school_ids[1])
    neighbour = make_user("Nia Neighbour",
                          group=make_work_group("NCP 24-12", hub_id=group.hub_id))
    stranger_group = make_work_group("NCP 24-13")
    stranger = make_user("Sol Stranger", group=stranger_group)
    plan = make_plan(app, owner, group, lessons=1, title="Counting in fours")
    return SimpleNamespace(app=app, group=group, owner=owner, colleague=colleague,
                           neighbour=neighbour, stranger=stranger,
                           stranger_group=stranger_group, plan=plan,
                           lesson_id=plan.lesson_ids[0])


def after_response(app) -> extraction.Summary:
    """The work after the response, as the app's thread and the host's indexer do it."""
    with app.app_context():
        done = extraction.extract_pending()
        indexer.catch_up()
    return done


def search(client, words: str) -> str:
    response = client.get("/search", query_string={"q": words})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def results(page: str) -> str:
    """The results list: what the page shows from documents (not the words typed)."""
    found = re.search(r'<ol class="results".*?</ol>', page, re.S)
    return found.group(0) if found else ""


def lesson_link(team) -> str:
    return f'href="/lessons/{team.lesson_id}"'


def version_row(app, version_id: int) -> SimpleNamespace:
    with app.app_context():
        row = db.session.execute(select(AttachmentVersion.text, AttachmentVersion.text_note,
                                        AttachmentVersion.extract_claimed_at)
                                 .where(AttachmentVersion.id == version_id)).one()
        return SimpleNamespace(text=row.text, note=row.text_note, claimed=row.extract_claimed_at)


def newest_version(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(AttachmentVersion.id)
                                     .order_by(AttachmentVersion.id.desc()).limit(1)))


def newest_attachment(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(Attachment.id).order_by(Attachment.id.desc())
                                     .limit(1)))


def service_results(app, user, words: str):
    from app.accounts.models import User
    from app.search import services

    with app.test_request_context():
        return services.search(db.session.get(User, user.id),
                               services.SearchRequest(text=words)).results


# --- finding a plan by its files' words --------------------------------------------------------


def test_words_in_slides_documents_and_pdfs_find_the_lesson_and_say_which_file(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    for name, data in [
        ("slides.pptx", pptx_with("Fractions of amounts", "Quokka bar model: 3/4 of 20")),
        ("worksheet.docx", docx_bytes("Wombat questions", "Share 12 counters fairly")),
        ("notes.pdf", pdf_with_pages("Platypus number line")),
    ]:
        assert upload(owner, team.lesson_id, name, data).status_code == 303

    # The upload's request read nothing: every version is waiting, and no word matches yet.
    with app.app_context():
        assert extraction.pending_count() == 3
    assert lesson_link(team) not in search(owner, "quokka")

    done = after_response(app)
    assert (done.read, done.noted) == (3, 0)
    with app.app_context():
        assert extraction.pending_count() == 0

    for word, name in [("quokka", "slides.pptx"), ("wombat", "worksheet.docx"),
                       ("platypus", "notes.pdf")]:
        shown = results(search(owner, word))
        assert lesson_link(team) in shown, word
        assert f'<span class="snippet-file">in <bdi>{name}</bdi>:</span>' in shown
        assert f"<mark>{word.title()}</mark>" in shown
    # A word of the plan's own text still shows the plan's text, not a file.
    shown = results(search(owner, "counting fours"))
    assert lesson_link(team) in shown and "snippet-file" not in shown
    # The colleague in the group's other school reads the plan, so finds it by its files too.
    assert lesson_link(team) in results(search(signed_in(app, team.colleague), "wombat"))


def test_a_snippet_from_a_file_is_escaped_text(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "Deck <img src=x onerror=alert(1)>.pptx",
           pptx_with("Quokka", '<script>alert("x")</script> <b>bold</b>'))
    after_response(app)
    shown = results(search(owner, "quokka"))
    assert lesson_link(team) in shown
    assert "<script" not in shown and "<img" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown and "in <bdi>Deck &lt;img src=x" in shown
    tags = set(re.findall(r"<[^>]*>", shown.split('<p class="snippet">', 1)[1].split("</p>")[0]))
    assert tags <= {'<span class="snippet-file">', "<bdi>", "</bdi>", "</span>",
                    '<span dir="auto">', "<mark>", "</mark>"}


def test_replacing_a_file_swaps_its_words_and_removing_it_drops_them(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "slides.pptx", pptx_with("Starter", "Quokka arrays"))
    after_response(app)
    attachment_id = newest_attachment(app)
    assert lesson_link(team) in results(search(owner, "quokka"))

    assert replace(owner, team.lesson_id, attachment_id, "slides.pptx",
                   pptx_with("Starter", "Numbat arrays")).status_code == 303
    # At once (before the new version is read): the old version's words no longer match.
    assert lesson_link(team) not in results(search(owner, "quokka"))
    after_response(app)
    assert lesson_link(team) not in results(search(owner, "quokka"))
    shown = results(search(owner, "numbat"))
    assert lesson_link(team) in shown and "in <bdi>slides.pptx</bdi>:" in shown

    remove = f"/lessons/{team.lesson_id}/files/{attachment_id}/remove"
    assert owner.post(remove).status_code in (302, 303)
    after_response(app)
    assert lesson_link(team) not in results(search(owner, "numbat"))

    restore = f"/lessons/{team.lesson_id}/files/{attachment_id}/restore"
    assert owner.post(restore).status_code in (302, 303)
    after_response(app)
    assert lesson_link(team) in results(search(owner, "numbat"))


def attach(app, kind: str, target_id: int, group_id: int, user_id: int, name: str,
           data: bytes) -> None:
    """A file of a sequence, straight in the database (its Files page is not the point)."""
    from app.files.storage import get_store

    with app.app_context():
        ref = get_store().put(data)
        attachment = Attachment(target_kind=kind, target_id=target_id, work_group_id=group_id,
                                created_by_id=user_id)
        db.session.add(attachment)
        db.session.add(AttachmentVersion(
            attachment=attachment, number=1, blob_hash=ref.hash, display_name=name,
            media_type="application/octet-stream", extension=name.rpartition(".")[2],
            kind="document", size=ref.size, created_by_id=user_id))
        db.session.commit()


def test_a_sequence_finds_its_own_files_words(team):
    app = team.app
    attach(app, "sequence", team.plan.id, team.group.id, team.owner.id, "overview.docx",
           docx_bytes("Dugong overview of the unit"))
    after_response(app)
    shown = results(search(signed_in(app, team.owner), "dugong"))
    assert f'href="/sequences/{team.plan.id}"' in shown
    assert "in <bdi>overview.docx</bdi>:" in shown


# --- who finds what ----------------------------------------------------------------------------


def test_nobody_outside_the_plans_readers_finds_it_by_its_files_words(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "slides.pptx", pptx_with("Starter", "Quokka partition"))
    after_response(app)
    assert lesson_link(team) in results(search(owner, "quokka"))

    for reader in (team.stranger, team.neighbour):
        page = search(signed_in(app, reader), "quokka")
        assert lesson_link(team) not in page and "quokka" not in results(page).lower()
        found = service_results(app, reader, "quokka")
        assert found.available and found.total == 0 and not found.hits
        assert all(count == 0 for options in found.facets.values() for _, count in options)
        # Not even as "did you mean" for a near miss.
        near = service_results(app, reader, "quokkka")
        assert "quokka" not in (near.suggestion or "").lower()
        assert not any("quokka" in c.replacement.lower() for c in near.corrections)
    # The control: the author's near miss is corrected to the file's word.
    assert "quokka" in (service_results(app, team.owner, "quokkka").suggestion or "").lower()

    # Shared with everyone: the file's words follow the plan.
    settings = f"/sequences/{team.plan.id}/settings"
    assert owner.post(settings, data={"visibility": "all", "status": "draft"}).status_code == 302
    after_response(app)
    assert lesson_link(team) in results(search(signed_in(app, team.stranger), "quokka"))
    # Kept to the school again: the colleague of the other school loses it too.
    assert owner.post(settings, data={"visibility": "school", "status": "draft"}
                      ).status_code == 302
    after_response(app)
    for reader in (team.stranger, team.colleague):
        assert lesson_link(team) not in search(signed_in(app, reader), "quokka")
        assert service_results(app, reader, "quokka").total == 0


def test_a_sequences_file_never_lands_in_a_lesson_of_the_same_number(team):
    app = team.app
    # The stranger's own plan holds lessons 2 and 3; the hidden plan is sequence 3.
    theirs = make_plan(app, team.stranger, team.stranger_group, lessons=2,
                       visibility="all", title="Open plan")
    hidden = make_plan(app, team.owner, team.group, lessons=1, title="Hidden plan")
    assert hidden.id in theirs.lesson_ids
    attach(app, "sequence", hidden.id, team.group.id, team.owner.id, "secret.docx",
           docx_bytes("Marzipan assessment answers"))
    after_response(app)
    assert f'href="/sequences/{hidden.id}"' in results(search(signed_in(app, team.owner),
                                                              "marzipan"))
    page = search(signed_in(app, team.stranger), "marzipan")
    assert "/lessons/" not in results(page) and "/sequences/" not in results(page)
    assert service_results(app, team.stranger, "marzipan").total == 0


# --- outside the request -----------------------------------------------------------------------


def post_unbuffered(client, url: str, name: str, data: bytes):
    """An upload whose response is not closed yet: work after the response has not run."""
    boundary, body = encode_multipart(
        {"csrf_token": client.csrf_token(), "file": FileStorage(io.BytesIO(data), name)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       buffered=False)


def test_the_request_reads_nothing_and_the_reader_runs_once_the_response_has_gone(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    app.config["FILES_EXTRACTOR"] = "thread"  # the default outside tests
    response = post_unbuffered(owner, f"/lessons/{team.lesson_id}/files", "slides.pptx",
                               pptx_with("Starter", "Axolotl arrays"))
    assert response.status_code == 303
    version_id = newest_version(app)
    # The upload has committed and answered; nothing was read, nothing is reading.
    waiting = version_row(app, version_id)
    assert (waiting.text, waiting.note, waiting.claimed) == (None, None, None)
    assert extraction.wait_idle(app, timeout=0)

    response.close()  # the server has sent the response: the reader starts
    assert extraction.wait_idle(app, timeout=60)
    assert "Axolotl arrays" in (version_row(app, version_id).text or "")
    with app.app_context():
        indexer.catch_up()
    assert lesson_link(team) in results(search(owner, "axolotl"))


def test_a_failed_upload_starts_no_reader(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    app.config["FILES_EXTRACTOR"] = "thread"
    response = post_unbuffered(owner, f"/lessons/{team.lesson_id}/files", "notes.pdf",
                               b"<html><script>alert(1)</script></html>")
    assert response.status_code == 400
    response.close()
    runner = app.extensions["coplan.files_extraction"]
    assert runner.thread is None


def test_pictures_and_types_without_a_reader_are_done_without_reading(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "bar model.png", png())
    version = version_row(app, newest_version(app))
    assert (version.text, version.note) == ("", None)  # done in the request: nothing to read
    with app.app_context():
        assert extraction.pending_count() == 0


def test_claims_keep_two_readers_apart_and_a_dead_readers_claim_expires(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "slides.pptx", pptx_with("Starter", "Quokka arrays"))
    version_id = newest_version(app)
    with app.app_context():
        # Another host claimed it a moment ago: this one leaves it alone.
        db.session.execute(update(AttachmentVersion).where(AttachmentVersion.id == version_id)
                           .values(extract_claimed_at=utcnow()))
        db.session.commit()
        assert extraction.pending_count() == 0
        assert extraction.extract_version(version_id) is None
        assert extraction.extract_pending().read == 0
    assert version_row(app, version_id).text is None
    with app.app_context():
        # That host died: its claim expires and the version is read here.
        db.session.execute(update(AttachmentVersion).where(AttachmentVersion.id == version_id)
                           .values(extract_claimed_at=utcnow() - extraction.CLAIM_TIMEOUT
                                   - extraction.CLAIM_TIMEOUT / 10))
        db.session.commit()
        assert extraction.pending_count() == 1
    assert after_response(app).read == 1
    row = version_row(app, version_id)
    assert "Quokka arrays" in (row.text or "") and row.claimed is None
    with app.app_context():
        # Done: never read again.
        assert extraction.extract_version(version_id) is None
    assert lesson_link(team) in results(search(owner, "quokka"))


def test_flask_files_extract_reads_what_is_waiting(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "notes.pdf", pdf_with_pages("Pangolin number line"))
    result = app.test_cli_runner().invoke(args=["files", "extract"])
    assert result.exit_code == 0, result.output
    assert "Read 1 files" in result.output
    with app.app_context():
        indexer.catch_up()
    assert lesson_link(team) in results(search(owner, "pangolin"))


# --- files that cannot be read -----------------------------------------------------------------


def test_an_unreadable_file_is_kept_and_listed_with_a_note(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    # A PDF with no pages and no text objects: stored, but there is nothing to read.
    broken = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    assert upload(owner, team.lesson_id, "scan.pdf", broken).status_code == 303
    done = after_response(app)
    assert done.noted == 1 and done.read == 0
    note = version_row(app, newest_version(app)).note
    assert note
    page = owner.get(f"/lessons/{team.lesson_id}/files")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "scan.pdf" in text and note in text
    assert search(owner, "scan") is not None


def test_a_zip_bomb_dressed_as_a_docx_is_stored_noted_and_read_within_limits(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    app.config.update(FILES_EXTRACT_MEMORY_MB=160, FILES_EXTRACT_TIMEOUT_S=20)
    bomb = mild_bomb_docx(200)
    assert len(bomb) < 5 * 1024 * 1024  # over 200 MB once inflated
    assert upload(owner, team.lesson_id, "lesson plan.docx", bomb).status_code == 303
    started = time.monotonic()
    done = after_response(app)
    assert time.monotonic() - started < 25
    assert done.noted == 1
    row = version_row(app, newest_version(app))
    assert row.text == "" and row.note and row.note.startswith(NOTE_UNREADABLE)
    page = owner.get(f"/lessons/{team.lesson_id}/files").get_data(as_text=True)
    assert "lesson plan.docx" in page and row.note in page
    assert lesson_link(team) in results(search(owner, "counting"))


# --- the index is a cache of the database -------------------------------------------------------


def test_a_rebuild_reproduces_the_files_words(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "slides.pptx", pptx_with("Starter", "Quokka arrays"))
    after_response(app)
    key = f"lesson:{team.lesson_id}"
    with app.app_context():
        assert indexer.verify().ok
        # The batched builder of a rebuild gives what the one-by-one builder gives.
        assert sources.build_batch("lesson", [team.lesson_id]) == [sources.build(key)]
        assert sources.build(key)["files"] == [{"name": "slides.pptx",
                                                "text": version_row(app, newest_version(app)).text}]
        index = indexer.get_index(app)
        if indexer.uses_postgres(app):
            index.create()  # an empty documents table
        else:
            index.close()
            shutil.rmtree(app.config["SEARCH_INDEX_DIR"])  # no index at all
        indexer.rebuild()
        assert indexer.verify().ok
    shown = results(search(owner, "quokka"))
    assert lesson_link(team) in shown and "in <bdi>slides.pptx</bdi>:" in shown


def test_long_files_keep_the_document_within_its_bounds(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    app.config["FILES_TEXT_MAX_CHARS"] = MAX_FILE_TEXT_CHARS
    rng = random.Random(6)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 9)))
             for _ in range(40_000)]
    for n in range(2):
        text = " ".join(words[n * 20_000:(n + 1) * 20_000])
        upload(owner, team.lesson_id, f"long {n}.docx", docx_bytes(text))
    upload(owner, team.lesson_id, "late.docx", docx_bytes("Narwhal"))
    assert after_response(app).read == 3
    # The first file is searchable; what lies past the document's bound is not.
    assert lesson_link(team) in results(search(owner, words[5]))
    assert lesson_link(team) not in results(search(owner, "narwhal"))


def test_pages_never_read_the_files_text(team):
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "slides.pptx", pptx_with("Starter", "Quokka arrays"))
    after_response(app)
    for url in (f"/lessons/{team.lesson_id}/files", f"/lessons/{team.lesson_id}",
                "/search?q=quokka"):
        with statements_sent(app) as statements:
            assert owner.get(url).status_code == 200
        # Only search documents read it (up to FILES_TEXT_MAX_CHARS a version).
        assert not [s for s in statements if "attachment_version.text," in s
                    or "attachment_version.text AS" in s], url


def test_any_change_to_a_files_row_reindexes_its_plan(team):
    # Not only the Files page's actions: code that sets a file's version or removes it (as
    # restoring a plan revision does) re-indexes the plan with the same commit.
    app, owner = team.app, signed_in(team.app, team.owner)
    upload(owner, team.lesson_id, "slides.pptx", pptx_with("Starter", "Quokka arrays"))
    attachment_id = newest_attachment(app)
    replace(owner, team.lesson_id, attachment_id, "slides.pptx",
            pptx_with("Starter", "Numbat arrays"))
    after_response(app)
    assert lesson_link(team) in results(search(owner, "numbat"))
    with app.app_context():
        db.session.get(Attachment, attachment_id).current_number = 1
        db.session.commit()
        indexer.catch_up()
    assert lesson_link(team) not in results(search(owner, "numbat"))
    assert lesson_link(team) in results(search(owner, "quokka"))
    with app.app_context():
        db.session.get(Attachment, attachment_id).removed_at = utcnow()
        db.session.commit()
        indexer.catch_up()
    assert lesson_link(team) not in results(search(owner, "quokka"))

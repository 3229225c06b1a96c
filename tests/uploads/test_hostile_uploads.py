"""POST /api/v1/works/ with hostile, broken and edge-case files (tests/uploads/corpus.py).

Every request is a real multipart body built here byte by byte, so file names reach the server
exactly as a hostile client would send them (Django's test client would strip paths first).
A refusal must be a 4xx with a stable code and a sentence, and leave no row and no file; an
accepted file must be stored under a generated key and finish processing.
"""

from __future__ import annotations

import contextlib
import io
import re
import uuid

import pytest
from django.core.files.storage import default_storage

from tests.factories import BuyerFactory
from tests.uploads import corpus
from tests.uploads.corpus import ACCEPTED, CORPUS, Case
from uploads.models import Work, WorkStatus, WorkStatusChange

# Pillow reports the hostile EXIF of two accepted cases as it skips it: expected here.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning"),
    pytest.mark.filterwarnings("ignore:Tag data larger than file:UserWarning"),
]

URL = "/api/v1/works/"
FIELDS = {"title": "Evening light", "ai_involvement": "none", "rights_confirmed": "true"}
STATUS_FOR_CODE = {"too_large": 413, "too_many_pixels": 413, "quota_exceeded": 429}
EXTENSION_FOR_TYPE = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
KEY = re.compile(
    r"^originals/(?P<prefix>[0-9a-f]{2})/(?P<hex>[0-9a-f]{32})\.(?P<ext>jpg|png|webp)$"
)

# Where production code answers differently from what these tests expect. Each is in the report
# with a proposed fix; strict, so the marker has to go when the fix lands.
KNOWN_PROBLEMS = {
    "jpeg_scan_is_noise": "libjpeg only warns about corrupt entropy-coded data and Pillow "
    "ignores its warnings, so a JPEG whose scan is noise decodes and is accepted",
}


def known(key: str):
    return pytest.mark.xfail(strict=True, reason=KNOWN_PROBLEMS[key])


def _params(cases: list[Case]):
    return [
        pytest.param(
            case, id=case.name, marks=[known(case.name)] if case.name in KNOWN_PROBLEMS else []
        )
        for case in cases
    ]


REFUSED_CASES = [case for case in CORPUS if case.expect != ACCEPTED]
ACCEPTED_CASES = [case for case in CORPUS if case.expect == ACCEPTED]


# --- Helpers ----------------------------------------------------------------------------------


def _quote(filename: str) -> bytes:
    """A filename parameter as browsers send it (WHATWG): raw UTF-8, with only the three
    characters that would break the header percent-encoded."""
    escaped = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return escaped.encode("utf-8")


def multipart(
    fields: dict[str, str], files: list[tuple[str, str, str, bytes]]
) -> tuple[bytes, str]:
    """(body, content type) for form fields and (field, filename, content type, data) files."""
    boundary = f"----assent-{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for field, filename, content_type, data in files:
        out.write(f"--{boundary}\r\n".encode())
        out.write(
            f'Content-Disposition: form-data; name="{field}"; filename="'.encode()
            + _quote(filename)
            + b'"\r\n'
        )
        out.write(f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def post(client, *, files, fields=None, **extra):
    body, content_type = multipart(FIELDS if fields is None else fields, files)
    return client.generic("POST", URL, body, content_type=content_type, **extra)


def post_case(client, case: Case, **kwargs):
    return post(client, files=[("file", case.filename, case.content_type, case.data)], **kwargs)


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def assert_sentence(message) -> None:
    assert isinstance(message, str)
    assert re.match(r"^[A-Z].{10,}[.!?]$", message, re.S), message
    assert len(message.split()) >= 3, message
    assert "Traceback" not in message and "Error" not in message and "<" not in message, message


def assert_refused(response, code: str, *, media) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, body
    assert body["code"] == code, body
    assert response.status_code == STATUS_FOR_CODE.get(code, 400), body
    assert_sentence(body["message"])
    assert not Work.objects.exists()
    assert not WorkStatusChange.objects.exists()
    assert stored_files(media) == []
    return body


def assert_safe_display_name(name: str) -> None:
    assert name
    assert "/" not in name and "\\" not in name, name
    assert all(ch.isprintable() for ch in name), repr(name)
    assert name not in {".", ".."}
    assert len(name) <= 200


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """Default storage on a fresh folder, so a test can list every file an upload left."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    assert default_storage.location == str(root)
    return root


@pytest.fixture
def as_creator(api_client, creator):
    api_client.force_authenticate(creator)
    return api_client


# --- The corpus -------------------------------------------------------------------------------


def test_corpus_is_broad():
    assert len(CORPUS) >= 30
    expected = {case.expect for case in CORPUS}
    for code in (
        corpus.EMPTY_FILE,
        corpus.UNSUPPORTED_TYPE,
        corpus.TOO_LARGE,
        corpus.TOO_MANY_PIXELS,
        corpus.TOO_SMALL,
        corpus.CORRUPT_IMAGE,
        corpus.ANIMATED_IMAGE,
        ACCEPTED,
    ):
        assert code in expected


@pytest.mark.django_db
@pytest.mark.parametrize("case", _params(REFUSED_CASES))
def test_hostile_file_is_refused_and_leaves_nothing(
    case, as_creator, media, settings, django_capture_on_commit_callbacks
):
    if case.max_bytes is not None:
        settings.UPLOAD_MAX_BYTES = case.max_bytes

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_case(as_creator, case)

    assert_refused(response, case.expect, media=media)
    assert callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize("case", _params(ACCEPTED_CASES))
def test_accepted_file_is_stored_under_a_generated_key_and_processed(
    case, as_creator, creator, media, settings, django_capture_on_commit_callbacks
):
    if case.max_bytes is not None:
        settings.UPLOAD_MAX_BYTES = case.max_bytes

    with django_capture_on_commit_callbacks(execute=True):
        response = post_case(as_creator, case)

    assert response.status_code == 201, response.content[:1000]
    work = Work.objects.get()
    assert work.owner == creator
    assert response.json()["id"] == work.id

    # The key is made of the work's uuid and the extension of what the bytes are: nothing of
    # the client's name (path, stem or extension) reaches storage.
    key = work.original.name
    assert key.startswith("originals/")
    match = KEY.match(key)
    assert match, key
    assert match["hex"] == work.uuid.hex and match["prefix"] == work.uuid.hex[:2]
    assert match["ext"] == EXTENSION_FOR_TYPE[work.media_type]
    assert (media / key).read_bytes() == case.data
    assert work.byte_size == len(case.data)

    assert_safe_display_name(work.original_filename)
    assert response.json()["original_filename"] == work.original_filename

    work.refresh_from_db()
    # Processed, then screened on commit: nothing in these files asks for a person, so listed.
    assert work.status == WorkStatus.LISTED, (work.status, work.processing_error)
    assert work.thumbnail and work.preview
    assert stored_files(media) == sorted([key, work.thumbnail.name, work.preview.name])
    assert list(work.status_changes.values_list("to_status", flat=True)) == [
        WorkStatus.PROCESSING,
        WorkStatus.PENDING_REVIEW,
        WorkStatus.LISTED,
    ]


def _accepted(name: str) -> Case:
    return next(case for case in CORPUS if case.name == name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "display"),
    [
        ("path_traversal_slash", "passwd.jpg"),
        ("path_traversal_backslash", "win.ini.jpg"),
        ("path_traversal_html_escaped", "shadow.jpg"),
        ("absolute_windows_path", "cat.jpg"),
        ("unicode_filename", "日本語 ✓ ünïcödé.jpg"),
        ("png_named_photo_jpg", "photo.jpg"),
        ("filename_255_bytes", "a" * 200),
    ],
)
def test_display_name_keeps_only_the_base_name(name, display, as_creator, media):
    response = post_case(as_creator, _accepted(name))

    assert response.status_code == 201, response.content[:500]
    assert Work.objects.get().original_filename == display


@pytest.mark.django_db
def test_control_characters_are_dropped_from_the_display_name(as_creator, media):
    response = post_case(as_creator, _accepted("filename_nul_and_controls"))

    assert response.status_code == 201, response.content[:500]
    name = Work.objects.get().original_filename
    assert_safe_display_name(name)
    assert "\x00" not in name and "\x1b" not in name and "\u202e" not in name
    assert name.startswith("evil") and name.endswith(".jpg")


@pytest.mark.django_db
def test_same_bytes_again_returns_the_existing_work_and_stores_nothing_new(as_creator, media):
    case = _accepted("jpeg_progressive")
    first = post_case(as_creator, case)
    files_after_first = stored_files(media)

    again = post_case(as_creator, Case("again", "other-name.jpg", case.data, ACCEPTED))

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
    assert Work.objects.count() == 1
    assert stored_files(media) == files_after_first


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["jpeg_html_in_com_segment", "jpeg_html_after_eoi", "png_named_photo_jpg"]
)
def test_original_with_a_payload_is_only_served_as_an_inert_attachment(name, as_creator, media):
    case = _accepted(name)
    work_id = post_case(as_creator, case).json()["id"]
    work = Work.objects.get(id=work_id)

    response = as_creator.get(f"/api/v1/works/{work_id}/files/original/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == case.data
    response.close()
    extension = EXTENSION_FOR_TYPE[work.media_type]
    assert response["Content-Type"] == work.media_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="assent-work-{work_id}.{extension}"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


# --- The request around the file --------------------------------------------------------------


@pytest.mark.django_db
def test_no_file_field(as_creator, media):
    response = post(as_creator, files=[])

    assert_refused(response, "file_missing", media=media)


@pytest.mark.django_db
def test_file_in_another_field_only(as_creator, media):
    good = _accepted("jpeg_greyscale")
    response = post(as_creator, files=[("image", "a.jpg", "image/jpeg", good.data)])

    assert_refused(response, "file_missing", media=media)


@pytest.mark.django_db
@pytest.mark.parametrize("second_field", ["file", "other"])
def test_two_files_in_one_request(second_field, as_creator, media):
    one, two = _accepted("jpeg_greyscale"), _accepted("jpeg_progressive")
    response = post(
        as_creator,
        files=[
            ("file", "one.jpg", "image/jpeg", one.data),
            (second_field, "two.jpg", "image/jpeg", two.data),
        ],
    )

    assert_refused(response, "too_many_files", media=media)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        # No title is not among them: the file name gives one (tests/uploads/test_titles.py).
        ({"title": "Dusk", "rights_confirmed": "true"}, "ai_involvement"),
        (
            {"title": "Dusk", "ai_involvement": "maybe", "rights_confirmed": "true"},
            "ai_involvement",
        ),
        (
            {"title": "Dusk", "ai_involvement": "none", "rights_confirmed": "false"},
            "rights_confirmed",
        ),
        ({"title": "Dusk", "ai_involvement": "none"}, "rights_confirmed"),
    ],
    ids=["no-ai", "bad-ai", "rights-false", "no-rights"],
)
def test_declarations_are_required(fields, field, as_creator, media):
    good = _accepted("jpeg_greyscale")
    response = post(as_creator, files=[("file", "a.jpg", "image/jpeg", good.data)], fields=fields)

    body = assert_refused(response, "invalid", media=media)
    assert list(body["fields"]) == [field], body
    assert all(isinstance(m, str) and m for m in body["fields"][field])


class Tripwire(io.RawIOBase):
    """A request body that records any read: the refusal must come from the header alone."""

    def __init__(self):
        self.reads = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.reads += 1
        raise AssertionError("the body was read")


@pytest.mark.django_db
def test_content_length_above_the_limit_is_refused_without_reading_the_body(
    as_creator, media, settings
):
    settings.UPLOAD_MAX_BYTES = 10_000
    body = Tripwire()
    response = as_creator.generic(
        "POST",
        URL,
        b"x",
        content_type="multipart/form-data; boundary=whatever",
        CONTENT_LENGTH=str(settings.UPLOAD_MAX_BYTES + 2 * 1024 * 1024),
        **{"wsgi.input": body},
    )

    assert_refused(response, "too_large", media=media)
    assert body.reads == 0

    # Control: under the limit the same tripwire is read, so the check above means something.
    control = Tripwire()
    with contextlib.suppress(AssertionError):
        as_creator.generic(
            "POST",
            URL,
            b"x",
            content_type="multipart/form-data; boundary=whatever",
            CONTENT_LENGTH="5000",
            **{"wsgi.input": control},
        )
    assert control.reads >= 1


@pytest.mark.django_db
def test_real_body_above_the_limit_is_refused(as_creator, media, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    big = b"\xff\xd8\xff" + corpus.random_bytes(1024 * 1024 + 20_000, seed=90)
    response = post(as_creator, files=[("file", "big.jpg", "image/jpeg", big)])

    assert_refused(response, "too_large", media=media)


@pytest.mark.django_db
@pytest.mark.parametrize("length", ["abc", "1e9", " "])
def test_malformed_content_length_is_a_client_error(length, as_creator, media):
    case = _accepted("jpeg_greyscale")
    body, content_type = multipart(FIELDS, [("file", "a.jpg", "image/jpeg", case.data)])

    response = as_creator.generic(
        "POST", URL, body, content_type=content_type, CONTENT_LENGTH=length
    )

    assert response.status_code < 500, response.content[:500]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field",
    ["title", "description", "rights_holder", "tags"],
)
def test_nul_in_a_text_field_is_refused_or_dropped(field, as_creator, media):
    case = _accepted("jpeg_greyscale")
    fields = {**FIELDS, field: "sunset, bad\x00value"}

    response = post(as_creator, files=[("file", "a.jpg", "image/jpeg", case.data)], fields=fields)

    if response.status_code != 201:  # whatever the answer, nothing may be left behind
        assert not Work.objects.exists() and stored_files(media) == []
    assert response.status_code < 500, response.content[:500]
    if response.status_code == 201:
        work = Work.objects.get()
        values = [work.title, work.description, work.rights_holder, *work.tags]
        assert not any("\x00" in value for value in values), values
    else:
        body = assert_refused(response, "invalid", media=media)
        assert list(body["fields"]) == [field]


@pytest.mark.django_db
def test_anonymous_caller_is_refused(api_client, media):
    response = post_case(api_client, _accepted("jpeg_greyscale"))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert_sentence(response.json()["message"])
    assert not Work.objects.exists() and stored_files(media) == []


@pytest.mark.django_db
def test_buyer_is_refused(api_client, media):
    api_client.force_authenticate(BuyerFactory())
    response = post_case(api_client, _accepted("jpeg_greyscale"))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert_sentence(response.json()["message"])
    assert not Work.objects.exists() and stored_files(media) == []


# --- Quota ------------------------------------------------------------------------------------


def _distinct_jpegs(count: int) -> list[bytes]:
    return [corpus.jpeg(seed=100 + i) for i in range(count)]


def _assert_only_originals_of_existing_works(media) -> None:
    originals = sorted(Work.objects.values_list("original", flat=True))
    assert stored_files(media) == originals


@pytest.mark.django_db
def test_daily_file_quota(as_creator, media, settings):
    settings.UPLOAD_DAILY_FILES = 2
    first, second, third = _distinct_jpegs(3)

    for data in (first, second):
        response = post(as_creator, files=[("file", "ok.jpg", "image/jpeg", data)])
        assert response.status_code == 201, response.content[:500]
    response = post(as_creator, files=[("file", "third.jpg", "image/jpeg", third)])

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert_sentence(body["message"])
    assert Work.objects.count() == 2
    assert WorkStatusChange.objects.count() == 2
    _assert_only_originals_of_existing_works(media)


@pytest.mark.django_db
def test_daily_byte_quota(as_creator, media, settings):
    first, second = _distinct_jpegs(2)
    settings.UPLOAD_DAILY_BYTES = len(first) + len(second) - 1

    response = post(as_creator, files=[("file", "ok.jpg", "image/jpeg", first)])
    assert response.status_code == 201, response.content[:500]
    response = post(as_creator, files=[("file", "second.jpg", "image/jpeg", second)])

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert_sentence(body["message"])
    assert Work.objects.count() == 1
    _assert_only_originals_of_existing_works(media)


@pytest.mark.django_db
def test_resending_a_file_at_the_quota_returns_the_existing_work(as_creator, media, settings):
    """A client whose response got lost retries with the same bytes: the API promises 200 with
    the existing work, and that retry stores nothing, so the quota has nothing to refuse."""
    settings.UPLOAD_DAILY_FILES = 1
    (data,) = _distinct_jpegs(1)
    first = post(as_creator, files=[("file", "ok.jpg", "image/jpeg", data)])
    assert first.status_code == 201

    again = post(as_creator, files=[("file", "ok.jpg", "image/jpeg", data)])

    assert again.status_code == 200, again.content[:500]
    assert again.json()["id"] == first.json()["id"]
    _assert_only_originals_of_existing_works(media)


@pytest.mark.django_db
def test_a_single_file_over_the_daily_byte_quota(as_creator, media, settings):
    (data,) = _distinct_jpegs(1)
    settings.UPLOAD_DAILY_BYTES = len(data) - 1

    response = post(as_creator, files=[("file", "ok.jpg", "image/jpeg", data)])

    assert_refused(response, "quota_exceeded", media=media)

"""Audio and text works in the catalog (issue 20): a team filters by medium, length (seconds of
audio, words of text) and language as it filters images by size; each card and work page shows
the medium's own preview (a waveform and a 30 s recording to play, a cover card and the
excerpt) and its size in the medium's unit; the API lists the same facts; bad values answer 400
naming the field; a page of mixed media costs what a page of images costs.

Works are made with the factories, their renditions stored through uploads.storage as
processing stores them (tests/uploads/media_works.py)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from licensing.consent import ConsentContext
from licensing.services.offers import work_consent_withdraw
from marketplace.selectors.catalog import (
    MEDIA_TYPES,
    CatalogQuery,
    catalog_query_from_params,
)
from tests.factories import CreatorFactory, ListedWorkFactory
from tests.uploads import media_works
from uploads.models import Work, WorkStatus

pytestmark = pytest.mark.django_db

API = "/api/v1/catalog/"
PAGE = "/catalog/"


def image_work(owner, title: str = "Harbour", **fields) -> Work:
    return ListedWorkFactory(owner=owner, title=title, **fields)


def audio_work(owner, title: str = "Night song", **fields) -> Work:
    """A listed recording with one offer (3:12, 44.1 kHz stereo unless told)."""
    return media_works.audio_work(factory=ListedWorkFactory, owner=owner, title=title, **fields)


def text_work(owner, title: str = "The river house", **fields) -> Work:
    """A listed text with one offer (4,210 words in English unless told)."""
    return media_works.text_work(factory=ListedWorkFactory, owner=owner, title=title, **fields)


def api(client, status: int = 200, **params):
    response = client.get(API, params)
    assert response.status_code == status, response.content
    return response.json()


def titles(body) -> set[str]:
    return {w["title"] for w in body["results"]}


def card(html: str, work: Work) -> str:
    """One card's HTML from the catalog page."""
    match = re.search(rf'<article[^>]*data-work-id="{work.id}".*?</article>', html, flags=re.S)
    assert match, f"no card for {work.title}"
    return match.group(0)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def ada():
    return CreatorFactory(profile__display_name="Ada Okafor")


@pytest.fixture
def mixed(ada):
    """Two images, three recordings and three texts, each on sale."""
    return {
        "Harbour": image_work(ada, "Harbour"),
        "Dunes": image_work(ada, "Dunes", media_type="image/jpeg"),
        "Short clip": audio_work(ada, "Short clip", duration_ms=45_000, media_type="audio/wav"),
        "Night song": audio_work(ada, "Night song", duration_ms=192_400),
        "Long set": audio_work(ada, "Long set", duration_ms=1_200_000, media_type="audio/mpeg"),
        "Poem": text_work(ada, "Poem", word_count=180, language="fr"),
        "The river house": text_work(ada, "The river house", word_count=4210, language="en"),
        "Novella": text_work(
            ada, "Novella", word_count=31_000, language="de", media_type="application/epub+zip"
        ),
    }


# --- Filters ---------------------------------------------------------------------------------


def test_kind_filters_by_medium_and_repeats_widen(client, mixed):
    assert titles(api(client, kind="audio")) == {"Short clip", "Night song", "Long set"}
    assert titles(api(client, kind="text")) == {"Poem", "The river house", "Novella"}
    assert titles(api(client, kind="image")) == {"Harbour", "Dunes"}
    assert titles(api(client, kind=["image", "text"])) == {
        "Harbour",
        "Dunes",
        "Poem",
        "The river house",
        "Novella",
    }
    assert titles(api(client, kind="Audio,TEXT")) == titles(api(client, kind=["audio", "text"]))
    assert len(api(client)["results"]) == 8


def test_duration_bounds_are_seconds_and_only_recordings_have_one(client, mixed):
    assert titles(api(client, min_duration=60)) == {"Night song", "Long set"}
    assert titles(api(client, max_duration=192)) == {"Short clip"}  # 3:12.4 is past 192 s
    assert titles(api(client, min_duration=45, max_duration=193)) == {"Short clip", "Night song"}
    assert titles(api(client, min_duration=0)) == {"Short clip", "Night song", "Long set"}


def test_word_bounds_only_match_texts(client, mixed):
    assert titles(api(client, min_words=1000)) == {"The river house", "Novella"}
    assert titles(api(client, max_words=4210)) == {"Poem", "The river house"}
    assert titles(api(client, min_words=200, max_words=5000)) == {"The river house"}
    # With a medium that has no word count, nothing can match both.
    assert titles(api(client, kind="audio", min_words=1)) == set()


def test_language_filter_is_any_of_the_codes_in_any_case(client, mixed):
    assert titles(api(client, language="en")) == {"The river house"}
    assert titles(api(client, language=["FR", "de"])) == {"Poem", "Novella"}
    assert titles(api(client, language="fr,en")) == {"Poem", "The river house"}
    assert titles(api(client, language="ja")) == set()


def test_new_media_types_filter_and_widen(client, mixed):
    assert titles(api(client, media_type="audio/wav")) == {"Short clip"}
    assert titles(api(client, media_type=["audio/mpeg", "application/epub+zip"])) == {
        "Long set",
        "Novella",
    }
    assert titles(api(client, media_type="text/plain")) == {"Poem", "The river house"}


def test_largest_first_for_one_medium_sorts_by_its_length(client, mixed):
    body = api(client, kind="audio", sort="largest")
    assert [w["title"] for w in body["results"]] == ["Long set", "Night song", "Short clip"]
    body = api(client, kind="text", sort="largest")
    assert [w["title"] for w in body["results"]] == ["Novella", "The river house", "Poem"]


def test_the_facets_offer_every_medium_and_name_the_file_types(client, mixed):
    html = client.get(PAGE).content.decode()
    for kind in ("image", "audio", "text"):
        assert f'name="kind" value="{kind}"' in html
    for media_type, name in {
        "audio/wav": "WAV",
        "audio/flac": "FLAC",
        "audio/mpeg": "MP3",
        "audio/ogg": "Ogg",
        "text/plain": "Plain text",
        "text/markdown": "Markdown",
        "application/epub+zip": "EPUB",
    }.items():
        assert MEDIA_TYPES[media_type] == name
        found = re.search(
            rf'value="{re.escape(media_type)}" id="([^"]+)"[^>]*>\s*<label[^>]*for="\1">{name}<',
            html,
        )
        assert found, media_type
    for name in ("min_duration", "max_duration", "min_words", "max_words", "language"):
        assert f'name="{name}"' in html


def test_chosen_filters_show_as_chips_and_keep_their_values(client, mixed):
    response = client.get(
        PAGE, {"kind": "text", "language": "fr", "min_words": "100", "max_duration": "90"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Text", "In French", "At least 100 words", "At most 1:30 long"):
        assert re.search(rf'class="filter-chip"[^>]*>.*?{re.escape(label)}', html), label
    assert 'name="kind" value="text" id="kind-text" checked' in html
    assert 'name="language" value="fr"' in html and 'value="100"' in html


def test_a_medium_written_another_way_filters_and_stays_ticked(client, mixed):
    html = client.get(PAGE, {"kind": "Audio"}).content.decode()
    assert 'name="kind" value="audio" id="kind-audio" checked' in html
    assert "Night song" in html and "Harbour" not in html


# --- Parameters round trip, and bad ones -----------------------------------------------------


def test_the_new_filters_round_trip_through_their_parameters():
    query = catalog_query_from_params(
        {
            "kind": ["audio", "text"],
            "min_duration": "30",
            "max_duration": "600",
            "min_words": "500",
            "max_words": "20000",
            "language": ["EN", "fr"],
            "media_type": ["audio/flac", "text/markdown"],
        }
    )
    assert query.kinds == ("audio", "text")
    assert (query.min_duration, query.max_duration) == (30, 600)
    assert (query.min_words, query.max_words) == (500, 20000)
    assert query.languages == ("en", "fr")
    params = query.to_params()
    assert params["kind"] == ["audio", "text"] and params["language"] == ["en", "fr"]
    assert params["min_duration"] == "30" and params["max_words"] == "20000"
    assert catalog_query_from_params(params) == query
    assert query.has_filters
    # Bounds of zero are filters too, and survive the trip.
    zero = catalog_query_from_params({"min_duration": "0", "min_words": "0"})
    assert catalog_query_from_params(zero.to_params()) == zero != CatalogQuery()


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"kind": "video"}, "kind", '"video" is not one of: image, audio, text.'),
        ({"min_duration": "long"}, "min_duration", "whole number"),
        ({"min_duration": "-1"}, "min_duration", "between 0 and 86,400"),
        ({"max_duration": "90000"}, "max_duration", "between 0 and 86,400"),
        (
            {"min_duration": "120", "max_duration": "60"},
            "max_duration",
            "The longest duration is below the shortest.",
        ),
        ({"min_words": "many"}, "min_words", "whole number"),
        ({"max_words": "-5"}, "max_words", "between 0"),
        (
            {"min_words": "5000", "max_words": "100"},
            "max_words",
            "The most words are fewer than the fewest.",
        ),
        ({"language": "english"}, "language", "two-letter ISO 639-1 code"),
        ({"language": "e1"}, "language", "not “e1”"),
        ({"language": [f"{a}a" for a in "bcdefghijkl"]}, "language", "at most 10 languages"),
        ({"media_type": "audio/aac"}, "media_type", '"audio/aac" is not one of'),
    ],
)
def test_bad_values_answer_400_naming_the_field(client, params, field, message):
    body = api(client, 400, **params)
    assert body["code"] == "invalid_filter"
    assert field in body["fields"], body
    assert message in body["fields"][field][0]


def test_bad_values_on_the_page_say_why_and_keep_what_was_sent(client):
    response = client.get(PAGE, {"min_duration": "3 min", "language": "english"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "These filters cannot be used" in html
    assert "The shortest duration is a whole number, not “3 min”." in html
    assert "A language is a two-letter ISO 639-1 code such as en or fr, not “english”." in html
    assert 'name="min_duration" id="facet-min-duration" value="3 min"' in html
    assert re.search(r'is-invalid"[^>]*name="min_duration"', html)
    assert re.search(r'name="language" value="english"[^>]*checked', html)


# --- Cards -----------------------------------------------------------------------------------


def test_an_audio_card_shows_its_waveform_length_and_a_player(client, ada):
    work = audio_work(ada, "Night song", duration_ms=192_400)
    html = card(client.get(PAGE).content.decode(), work)
    assert f'<img src="/catalog/works/{work.id}/thumbnail/" alt="Waveform of Night song"' in html
    assert "FLAC · " in text_of(html) and "3:12" in text_of(html)
    player = re.search(r"<audio[^>]*>", html).group(0)
    assert "controls" in player and 'preload="none"' in player
    assert f'src="/catalog/works/{work.id}/preview/"' in player
    assert " px" not in text_of(html)


def test_an_audio_card_without_a_preview_has_no_player(client, ada):
    work = audio_work(ada, "Being processed", preview=False)
    assert "<audio" not in card(client.get(PAGE).content.decode(), work)


def test_a_text_card_shows_its_cover_card_words_and_language(client, ada):
    work = text_work(ada, "The river house", word_count=4210, language="en")
    html = card(client.get(PAGE).content.decode(), work)
    assert f'src="/catalog/works/{work.id}/thumbnail/" alt="Cover card of The river house"' in html
    assert "Plain text · 4,210 words · English" in text_of(html)
    assert "<audio" not in html


def test_an_image_card_is_unchanged(client, ada):
    work = image_work(ada, "Harbour")
    html = card(client.get(PAGE).content.decode(), work)
    assert f"JPEG · {work.width} × {work.height} px" in text_of(html)
    assert "<audio" not in html


def test_the_page_lets_audio_previews_play_under_its_policy(client, ada):
    audio_work(ada)
    response = client.get(PAGE)
    policy = response["Content-Security-Policy"]
    media_src = re.search(r"media-src ([^;]+)", policy)
    assert media_src and "'self'" in media_src.group(1)


def test_the_audio_preview_is_served_as_ogg_to_anyone(client, ada):
    work = audio_work(ada)
    response = client.get(f"/catalog/works/{work.id}/preview/")
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/ogg"
    assert b"".join(response.streaming_content)[:4] == b"OggS"
    thumbnail = client.get(f"/catalog/works/{work.id}/thumbnail/")
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert client.get(f"/catalog/works/{work.id}/original/").status_code == 404


@pytest.mark.parametrize("make", [audio_work, text_work], ids=["audio", "text"])
@pytest.mark.parametrize("leaves", ["consent withdrawn", "removed"])
def test_a_recording_or_text_off_sale_serves_neither_preview_nor_thumbnail(
    client, ada, make, leaves
):
    """Previews of recordings are whole playable clips and a text's cover card shows its
    opening: once a creator withdraws consent, or staff remove the work, neither is served."""
    work = make(ada)
    files = [f"/catalog/works/{work.id}/thumbnail/"]
    if work.kind == "audio":
        files.append(f"/catalog/works/{work.id}/preview/")
    assert all(client.get(url).status_code == 200 for url in files)

    if leaves == "consent withdrawn":
        work_consent_withdraw(work=work, actor=ada, context=ConsentContext(user_agent="tests"))
    else:
        Work.objects.filter(pk=work.pk).update(status=WorkStatus.REMOVED)

    for url in files:
        response = client.get(url)
        assert response.status_code == 404, url
        assert not getattr(response, "streaming", False)
    assert client.get(f"/catalog/works/{work.id}/").status_code == 404


# --- Work pages ------------------------------------------------------------------------------


def test_an_audio_work_page_plays_the_preview_and_lists_its_sound(client, ada):
    work = audio_work(ada, "Night song", duration_ms=192_400)
    html = client.get(f"/catalog/works/{work.id}/").content.decode()
    player = re.search(r"<audio[^>]*>", html).group(0)
    assert "controls" in player and f'src="/catalog/works/{work.id}/preview/"' in player
    facts = text_of(re.search(r'<dl class="row facts.*?</dl>', html, flags=re.S).group(0))
    assert "Type FLAC audio" in facts
    assert "Duration 3:12" in facts
    assert "Sample rate 44.1 kHz" in facts
    assert "Channels Stereo" in facts
    assert "A 30-second watermarked preview" in html


def test_a_text_work_page_shows_the_excerpt_escaped_with_its_paragraphs(client, ada):
    excerpt = "First <b>bold</b> line & more.\n\nSecond paragraph <script>alert(1)</script>."
    work = text_work(ada, "Letters", word_count=2_500, language="fr", excerpt=excerpt)
    html = client.get(f"/catalog/works/{work.id}/").content.decode()
    block = re.search(r'data-testid="text-excerpt".*?</blockquote>', html, flags=re.S).group(0)
    assert block.count("<p>") == 2
    assert "First &lt;b&gt;bold&lt;/b&gt; line &amp; more." in block
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "<script>alert" not in html
    facts = text_of(re.search(r'<dl class="row facts.*?</dl>', html, flags=re.S).group(0))
    assert "Length 2,500 words" in facts and "Language French" in facts
    assert "Type Plain text" in facts
    assert "<audio" not in html


def test_an_image_work_page_is_unchanged(client, ada):
    work = image_work(ada, "Harbour")
    html = client.get(f"/catalog/works/{work.id}/").content.decode()
    assert "JPEG image" in html and f"{work.width} × {work.height} px" in html
    assert "<audio" not in html and "text-excerpt" not in html


# --- The API ---------------------------------------------------------------------------------


def test_list_items_carry_each_mediums_facts(client, mixed):
    results = {w["title"]: w for w in api(client)["results"]}
    song_ = results["Night song"]
    assert (song_["kind"], song_["duration_ms"], song_["word_count"]) == ("audio", 192_400, None)
    assert (song_["language"], song_["excerpt"], song_["width"]) == (None, None, 0)
    assert song_["preview_url"].endswith(f"/catalog/works/{mixed['Night song'].id}/preview/")
    text = results["The river house"]
    assert (text["kind"], text["word_count"], text["language"]) == ("text", 4210, "en")
    assert text["duration_ms"] is None and text["excerpt"] == mixed["The river house"].excerpt
    image = results["Harbour"]
    assert (image["kind"], image["duration_ms"], image["word_count"]) == ("image", None, None)
    assert image["language"] is None and image["excerpt"] is None


def test_the_work_endpoint_adds_sample_rate_and_channels(client, ada):
    song_ = audio_work(ada)
    body = api_get(client, f"{API}works/{song_.id}/")
    assert (body["kind"], body["duration_ms"], body["sample_rate"], body["channels"]) == (
        "audio",
        192_400,
        44100,
        2,
    )
    assert body["excerpt"] is None
    text = text_work(ada, excerpt="One.\n\nTwo.")
    body = api_get(client, f"{API}works/{text.id}/")
    assert (body["kind"], body["word_count"], body["language"], body["excerpt"]) == (
        "text",
        4210,
        "en",
        "One.\n\nTwo.",
    )
    assert body["sample_rate"] is None and body["channels"] is None


def test_the_schema_documents_the_new_filters_and_fields(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"]["/api/v1/catalog/"]["get"]["parameters"]}
    assert {"kind", "min_duration", "max_duration", "min_words", "max_words", "language"} <= (
        parameters
    )
    fields = schema["components"]["schemas"]["CatalogWorkOutput"]["properties"]
    assert {"kind", "duration_ms", "word_count", "language", "excerpt"} <= set(fields)


def api_get(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


# --- Query budget ----------------------------------------------------------------------------


def _mixed_works(owner, count: int) -> None:
    makers = (image_work, audio_work, text_work)
    for i in range(count):
        makers[i % 3](owner, f"Work {i}")


@pytest.mark.parametrize("works", [1, 50])
def test_a_page_of_mixed_media_costs_what_a_page_of_images_costs(
    client, ada, django_assert_num_queries, django_assert_max_num_queries, works
):
    """The same budgets as tests/marketplace/test_catalog.py: count, works, offers (and the
    popular tags, on the page)."""
    _mixed_works(ada, works)
    with django_assert_num_queries(3):
        body = api(client, per_page=50, sort="price_asc")
    assert len(body["results"]) == works
    assert all("excerpt" in w and "duration_ms" in w for w in body["results"])
    cache.clear()
    with django_assert_num_queries(4):
        response = client.get(PAGE, {"sort": "price_desc"})
    assert response.content.decode().count("data-offer-id") == min(works, 24)
    # The new filters add none (with one image only, nothing matches: no page to read).
    with django_assert_max_num_queries(3):
        body = api(client, kind=["audio", "text"], language="en", min_words=1, per_page=50)
    assert len(body["results"]) == works // 3

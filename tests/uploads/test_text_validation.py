"""Text works at intake: what is read as text, in which encoding, how an EPUB is opened (within
bounds, never on disk), and what the catalog shows of it (excerpt, cover card, language,
metadata). Every file is made here, so each case says what the upload holds."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from tests.uploads.texts import story
from uploads import errors
from uploads.errors import UploadRefused
from uploads.media import validate_upload
from uploads.metadata.display import metadata_sections
from uploads.text.epub import _ChapterReader, chapter_text
from uploads.text.extract import extract_text, plain_words
from uploads.text.metadata import detect_language, read_text_metadata
from uploads.text.renditions import excerpt, text_card, wrap
from uploads.text.validation import EPUB, MARKDOWN, PLAIN, sniff_text, validate_text

FRENCH = (
    "Le café était fermé ce soir-là. Où êtes-vous allée, demanda sa mère, déjà inquiète ? "
    "Elle répondit qu'elle avait marché longtemps au bord de la rivière, sous les arbres, "
    "jusqu'à la vieille église où l'été dernier ils avaient écouté la chorale de Noël."
)


def validated(data: bytes, filename: str = "story.txt"):
    fmt = sniff_text(data[:4096], filename)
    assert fmt is not None, "not sniffed as text"
    return validate_text(io.BytesIO(data), len(data), fmt)


def refusal(data: bytes, fmt=PLAIN) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        validate_text(io.BytesIO(data), len(data), fmt)
    return caught.value


# --- EPUBs built here -----------------------------------------------------------------------

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>"""

METADATA = """
    <dc:title>The Winter River</dc:title>
    <dc:creator>Ada Lindqvist</dc:creator>
    <dc:rights>© 2026 Ada Lindqvist. All rights reserved.</dc:rights>
    <dc:identifier id="uid">urn:isbn:978-3-16-148410-0</dc:identifier>
    <dc:language>en</dc:language>
    <dc:publisher>Small Harbour Press</dc:publisher>
    <dc:date>2026-03-01</dc:date>
    <meta property="tdm:reservation">1</meta>"""


def opf(chapters: list[str], *, metadata: str = METADATA, doctype: str = "") -> str:
    items = "".join(
        f'<item id="c{i}" href="text/{name}" media-type="application/xhtml+xml"/>'
        for i, name in enumerate(chapters)
    )
    # The spine reads the chapters in the reverse of their manifest order.
    spine = "".join(f'<itemref idref="c{i}"/>' for i in reversed(range(len(chapters))))
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">{metadata}</metadata>
  <manifest>{items}</manifest>
  <spine>{spine}</spine>
</package>"""


def chapter(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title>
<style>p {{ margin: 0 }}</style><script>var xyzzy = 1;</script></head>
<body><h1>{title}</h1>{body}</body></html>"""


def epub(
    entries: dict[str, bytes | str] | None = None,
    *,
    chapters: dict[str, str] | None = None,
    package: str | None = None,
    container: str | None = CONTAINER,
) -> bytes:
    """A zipped EPUB: `mimetype` first and stored, then the container, the OPF and chapters."""
    if chapters is None:
        chapters = {
            "one.xhtml": chapter("One", story(60, seed=1).strip().split("\n\n")),
            "two.xhtml": chapter("Two", story(60, seed=2).strip().split("\n\n")),
        }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED
        )
        if container is not None:
            book.writestr("META-INF/container.xml", container)
        book.writestr("OEBPS/content.opf", package or opf(list(chapters)))
        for name, content in chapters.items():
            book.writestr(f"OEBPS/text/{name}", content)
        for name, content in (entries or {}).items():
            book.writestr(name, content)
    return out.getvalue()


# --- Plain text and Markdown ----------------------------------------------------------------


def test_utf8_text_is_plain_text_with_its_words_counted():
    text = story(300)
    result = validated(text.encode())

    assert result.format is PLAIN and result.encoding == "utf-8"
    assert result.word_count == len(text.split()) == 300
    assert result.text == text


@pytest.mark.parametrize(
    "opening",
    ["BMW drivers were the first to notice.", "ID3 tags, she said, were all he had left."],
    ids=["starts-BM", "starts-ID3"],
)
def test_a_text_opening_with_a_file_signature_is_still_a_text(opening):
    """ "BM" opens a BMP and "ID3" a tagged MP3, and ordinary sentences too: the picture and
    the recording are told by their headers, not by two or three letters."""
    data = (opening + " " + story(200, seed=4)).encode()
    upload = validate_upload(io.BytesIO(data), len(data), "chapter-one.txt")
    assert upload.kind == "text" and upload.media_type == "text/plain"
    assert upload.word_count == 200 + len(opening.split())


def test_a_real_bmp_is_still_named_in_its_refusal():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "BMP")
    data = out.getvalue()
    with pytest.raises(UploadRefused) as refused:
        validate_upload(io.BytesIO(data), len(data), "notes.txt")
    assert refused.value.code == errors.UNSUPPORTED_TYPE and "a BMP" in refused.value.message


def test_a_utf8_bom_is_read_and_dropped():
    result = validated(b"\xef\xbb\xbf" + FRENCH.encode())

    assert result.encoding == "utf-8"
    assert result.text.startswith("Le café")


def test_a_windows_1252_text_is_recognised_and_read_right():
    data = (FRENCH + " « Très bien », dit-elle — c’était l’été.").encode("cp1252")
    result = validated(data)

    assert result.encoding == "cp1252"
    assert "Où êtes-vous allée" in result.text and "c’était l’été" in result.text


def test_a_latin_1_text_is_read_right():
    data = ("Der Bär läuft über die Straße. Schöne Grüße aus München, sagte Jürgen. " * 4).encode(
        "latin-1"
    )
    assert "Schöne Grüße aus München" in validated(data).text


def test_utf16_with_a_bom_is_text_though_it_is_full_of_zero_bytes():
    data = story(100).encode("utf-16")  # little-endian with its BOM
    assert b"\x00" in data

    result = validated(data)
    assert result.encoding == "utf-16-le" and result.word_count == 100


def test_windows_line_ends_become_newlines():
    assert validated(story(50).replace("\n", "\r\n").encode()).text == story(50)


def test_markdown_is_told_by_its_extension_only():
    data = ("# The Winter River\n\n" + story(100)).encode()

    assert sniff_text(data, "river.md") is MARKDOWN
    assert sniff_text(data, "river.markdown") is MARKDOWN
    assert sniff_text(data, "river.txt") is PLAIN
    assert sniff_text(data, "river") is PLAIN
    assert validated(data, "river.md").format is MARKDOWN


def test_markup_symbols_and_link_targets_count_for_no_words():
    text = (
        "## Title here\n\n**Bold** words, a [link](https://example.com/a/b) and `code` — *too*.\n"
    )
    assert plain_words(text) == 9
    assert plain_words("don't stop, it’s fine") == 4


def test_binary_bytes_are_not_text():
    data = bytes(range(256)) * 4
    assert sniff_text(data, "notes.txt") is None
    refused = refusal(data)
    assert refused.code == errors.UNSUPPORTED_TYPE


def test_a_zero_byte_deep_in_a_text_is_refused():
    refused = refusal(story(2000).encode() + b"\x00\x01\x02")
    assert refused.code == errors.UNSUPPORTED_TYPE


def test_text_full_of_control_characters_is_unreadable():
    data = ("word \x1b\x07\x02 " * 200).encode()
    assert sniff_text(data, "x.txt") is None
    assert refusal(data).code == errors.UNREADABLE_TEXT


def test_bytes_no_encoding_explains_are_unreadable():
    import random

    rng = random.Random(7)
    data = b"Once upon a time " + bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    assert refusal(data).code == errors.UNREADABLE_TEXT


def test_too_few_words():
    refused = refusal(b"Just a few words here.")
    assert refused.code == errors.TOO_FEW_WORDS and refused.status == 400
    assert "5 words" in refused.message


def test_too_many_words(settings):
    settings.TEXT_MAX_WORDS = 1000
    refused = refusal(story(1500).encode())
    assert refused.code == errors.TOO_MANY_WORDS and refused.status == 413


def test_too_large_a_text_file_is_refused_before_it_is_read(settings):
    settings.TEXT_MAX_BYTES = 10_000
    refused = refusal(story(3000).encode())
    assert refused.code == errors.TOO_LARGE and refused.status == 413
    assert refused.message == "A text file may be at most 10 KB."


# --- EPUB -----------------------------------------------------------------------------------


def test_an_epub_is_told_by_its_bytes_whatever_its_name():
    book = epub()
    assert sniff_text(book[:4096], "book.epub") is EPUB
    assert sniff_text(book[:4096], "book.txt") is EPUB


def test_a_zip_that_is_not_an_epub_is_not_text():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.txt", story(100))
    assert sniff_text(out.getvalue(), "book.epub") is None


def test_an_epub_is_read_in_spine_order_with_its_metadata():
    book = epub()
    result = validate_text(io.BytesIO(book), len(book), EPUB)

    text = result.text
    # The spine lists "two" before "one"; the chapters' head, style and script are left out.
    assert text.index("Two") < text.index("One")
    assert "xyzzy" not in text and "margin" not in text
    assert story(60, seed=2).strip() in text and story(60, seed=1).strip() in text
    assert "\n\n" in text  # paragraphs stay apart
    assert result.word_count == 122

    extracted = extract_text(book, "application/epub+zip")
    assert extracted.text == text  # delivery reads the same text again
    assert extracted.metadata == {
        "title": "The Winter River",
        "creator": "Ada Lindqvist",
        "rights": "© 2026 Ada Lindqvist. All rights reserved.",
        "isbn": "9783161484100",
        "language": "en",
        "publisher": "Small Harbour Press",
        "date": "2026-03-01",
        "tdm_reservation": "1",
    }
    summary = read_text_metadata(extracted, EPUB)
    assert summary.creator == "Ada Lindqvist"
    assert summary.data["dublin_core"]["isbn"] == "9783161484100"
    assert summary.data_mining == "tdm:reservation=1"
    titles = [section.title for section in metadata_sections(summary.data)]
    assert titles == ["Book metadata (EPUB)"]


def test_an_excerpt_of_a_text_without_spaces_is_bounded_in_characters(settings):
    """Chinese has no spaces between words: counted by spaces a paragraph is one word, and the
    public excerpt would be the whole work. It stops at 8 characters a word instead."""
    settings.TEXT_EXCERPT_WORDS = 120
    text = "\n\n".join("河边的老房子里住着一位老人，他每天早上都去看日出。" * 12 for _ in range(12))
    shown = excerpt(text)
    assert shown.endswith("…")
    assert len(shown) <= 120 * 8 + 1 < len(text) / 3
    assert text.startswith(shown[:-1].rstrip("，。"))
    # Prose with spaces is cut by its words, as before.
    english = excerpt(story(400, seed=3))
    assert len(english.split()) == 120 and len(english) <= 120 * 8 + 1


def test_chapter_markup_keeps_verse_lines_and_named_entities():
    poem = chapter(
        "Poem", ["the sea&nbsp;is grey<br/>the road is long<br/>and we are home &amp; warm"]
    )
    book = epub(chapters={"poem.xhtml": poem, "more.xhtml": chapter("More", [story(40).strip()])})
    text = extract_text(book, EPUB).text
    assert "the sea is grey\nthe road is long\nand we are home & warm" in text


def test_a_zip_bomb_is_refused_without_unpacking_it():
    book = epub({"OEBPS/text/filler.xhtml": b"\x00" * (60 * 2**20)})
    assert len(book) < 200_000

    refused = refusal(book, EPUB)
    assert refused.code == errors.EPUB_BOMB and refused.status == 413


def test_a_bomb_whose_sizes_lie_is_stopped_while_it_is_read():
    """The declared size says 1 KB: the read itself is bounded, whatever the headers claim."""
    bomb = b"<p>" + b"a" * (8 * 2**20)
    chapters = {"one.xhtml": bomb.decode(), "two.xhtml": chapter("Two", [story(40).strip()])}
    book = bytearray(epub(chapters=chapters))
    name = b"OEBPS/text/one.xhtml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = book.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if book[name_at : name_at + len(name)] == name:
                book[at + size_at : at + size_at + 4] = (1024).to_bytes(4, "little")
            at = book.find(signature, at + 4)
    refused = refusal(bytes(book), EPUB)
    assert refused.code in (errors.EPUB_BOMB, errors.CORRUPT_EPUB)


def test_markup_nested_deep_or_malformed_is_refused_or_read_without_blowing_up(settings):
    settings.EPUB_MAX_RATIO = 10**6  # let the deep nesting through the ratio check
    deep = "<x>" * 50_000 + "T" + "</x>" * 50_000
    package = opf(["one.xhtml", "two.xhtml"], metadata=f"<dc:title>{deep}</dc:title>")
    book = epub(package=package)
    assert extract_text(book, EPUB).metadata == {"title": "T"}

    broken = chapter("One", ["a <![bogus[ x ]]> b"])
    refused = refusal(epub(chapters={"one.xhtml": broken}), EPUB)
    assert refused.code == errors.CORRUPT_EPUB


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Hello</p><a <a <a ",
        "<p>One</p><p>x < y and <b z",
        "<p>a</p><!-- never closed",
        "<p>q</p>< 3 <a href='x",
    ],
)
def test_a_chapter_ending_in_unclosed_markup_reads_as_html_parser_reads_it(markup):
    """Every `<` after a chapter's last `>` is read as text before parsing: what it reads is
    what html.parser alone makes of it (compared here on short chapters, which it parses
    quickly)."""
    reader = _ChapterReader()
    reader.feed(markup)
    reader.close()
    assert chapter_text(markup.encode()) == "\n\n".join(reader.paragraphs)


def test_a_long_run_of_unclosed_tags_is_read_as_text():
    """`<a ` 21,000 times (63 KB, under the ratio check's floor) in a 2 KB EPUB: html.parser
    before CPython's fix for CVE-2025-6069 rescanned the rest of the chapter from each `<`
    (half a minute of CPU here, per upload and again in the worker). Read as text, it is a
    chapter of `<a` words."""
    run = "<a " * 21_000
    book = epub(chapters={"one.xhtml": chapter("One", [story(40).strip()]) + run})
    assert len(book) < 20_000
    text = validated(book, "b.epub")
    assert text.word_count >= 21_000


def test_one_entry_compressed_far_beyond_a_book_is_refused(settings):
    book = epub({"OEBPS/images/blank.svg": b" " * (5 * 2**20)})  # ~1000:1, under the total cap
    refused = refusal(book, EPUB)
    assert refused.code == errors.EPUB_BOMB
    assert "zip bomb" in refused.message


def _chapter_data_at(book: bytes, name: bytes) -> int:
    """Where an entry's compressed data starts in the archive (after its local header)."""
    at = book.find(b"PK\x03\x04")
    while at >= 0:
        name_length = int.from_bytes(book[at + 26 : at + 28], "little")
        extra_length = int.from_bytes(book[at + 28 : at + 30], "little")
        if book[at + 30 : at + 30 + name_length] == name:
            return at + 30 + name_length + extra_length
        at = book.find(b"PK\x03\x04", at + 4)
    raise AssertionError(f"no entry {name!r}")


@pytest.mark.parametrize(
    "method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA], ids=["deflate", "lzma"]
)
def test_a_chapter_whose_compressed_stream_is_damaged_is_a_damaged_epub(method):
    """zlib and lzma raise their own errors for a broken stream, which are not OSErrors."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub())) as source, zipfile.ZipFile(out, "w") as book:
        for info in source.infolist():
            kind = zipfile.ZIP_STORED if info.filename == "mimetype" else method
            book.writestr(info.filename, source.read(info), compress_type=kind)
    data = bytearray(out.getvalue())
    at = _chapter_data_at(bytes(data), b"OEBPS/text/one.xhtml")
    data[at + 2 : at + 42] = b"\xff\x00" * 20
    refused = refusal(bytes(data), EPUB)
    assert refused.code == errors.CORRUPT_EPUB and refused.status == 400


def test_an_entry_needing_an_unknown_zip_version_is_a_damaged_epub():
    data = bytearray(epub())
    directory = data.find(b"PK\x01\x02")
    data[directory + 6 : directory + 8] = (70).to_bytes(2, "little")  # "version needed": 7.0
    assert refusal(bytes(data), EPUB).code == errors.CORRUPT_EPUB


@pytest.mark.parametrize("codec", ["rot13", "base64", "no-such-codec"])
def test_an_opf_declaring_an_encoding_python_lacks_is_a_damaged_epub(codec):
    package = opf(["one.xhtml", "two.xhtml"]).replace(
        '<?xml version="1.0" encoding="UTF-8"?>', f'<?xml version="1.0" encoding="{codec}"?>'
    )
    assert f'encoding="{codec}"' in package
    refused = refusal(epub(package=package), EPUB)
    assert refused.code == errors.CORRUPT_EPUB


def test_a_directory_larger_than_its_entry_count_allows_is_refused_before_it_is_parsed(
    settings,
):
    """The end record says how many entries there are; zipfile trusts the directory's size
    instead. An archive whose directory is far larger than its count allows is refused from
    the end record, before zipfile reads a directory of any size."""
    settings.EPUB_MAX_ENTRIES = 50
    # 40 entries, under the limit, with names long enough to pass what 50 entries may take.
    book = epub({f"OEBPS/images/{'n' * 1400}{i}.png": b"x" for i in range(40)})
    refused = refusal(book, EPUB)
    assert refused.code == errors.EPUB_BOMB
    settings.EPUB_MAX_ENTRIES = 2000
    assert validated(book, "b.epub") is not None  # the same book, within a larger allowance


def test_too_many_entries_are_refused(settings):
    settings.EPUB_MAX_ENTRIES = 50
    book = epub({f"OEBPS/images/{i}.png": b"x" for i in range(60)})
    assert refusal(book, EPUB).code == errors.EPUB_BOMB


def test_an_encrypted_epub_is_protected_and_says_so():
    encryption = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
      xmlns:enc="http://www.w3.org/2001/04/xmlenc#">
      <enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
      <enc:CipherData><enc:CipherReference URI="OEBPS/text/one.xhtml"/></enc:CipherData>
      </enc:EncryptedData></encryption>"""
    refused = refusal(epub({"META-INF/encryption.xml": encryption}), EPUB)
    assert refused.code == errors.PROTECTED_EPUB
    assert refused.message == "This EPUB is protected (DRM); upload an unprotected copy."


def test_font_obfuscation_is_not_drm():
    encryption = """<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"
      xmlns:enc="http://www.w3.org/2001/04/xmlenc#">
      <enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>
      <enc:CipherData><enc:CipherReference URI="OEBPS/fonts/serif.otf"/></enc:CipherData>
      </enc:EncryptedData></encryption>"""
    book = epub({"META-INF/encryption.xml": encryption})
    assert validate_text(io.BytesIO(book), len(book), EPUB).word_count > 100


def test_entity_expansion_in_the_package_is_refused_cleanly():
    laughs = """
<!DOCTYPE package [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>"""
    package = opf(
        ["one.xhtml", "two.xhtml"], doctype=laughs, metadata="<dc:title>&lol9;</dc:title>"
    )
    refused = refusal(epub(package=package), EPUB)
    assert refused.code == errors.CORRUPT_EPUB
    assert "entities" in refused.message


def test_an_epub_without_its_container_is_corrupt():
    refused = refusal(epub(container=None), EPUB)
    assert refused.code == errors.CORRUPT_EPUB
    assert "container.xml" in refused.message


def test_a_truncated_epub_is_corrupt():
    book = epub()
    assert refusal(book[: len(book) // 2], EPUB).code == errors.CORRUPT_EPUB


def test_chapters_outside_the_book_are_never_read():
    package = opf(["one.xhtml"]).replace('href="text/one.xhtml"', 'href="../../../etc/passwd"')
    book = epub({"etc/passwd": "root:x:0:0 " * 50}, package=package)
    refused = refusal(book, EPUB)
    assert refused.code == errors.TOO_FEW_WORDS  # nothing was read: no chapter inside


# --- Excerpt, card, language, metadata ------------------------------------------------------


def test_the_excerpt_cuts_at_a_whole_word_and_keeps_paragraphs():
    text = "One two three four five.\n\nSix seven eight nine ten eleven twelve.\n"
    assert excerpt(text, words=8) == "One two three four five.\n\nSix seven eight…"
    assert (
        excerpt(text, words=12)
        == "One two three four five.\n\nSix seven eight nine ten eleven twelve."
    )
    assert excerpt(text, words=12).count("…") == 0


def test_the_excerpt_keeps_verse_lines_and_joins_hard_wrapped_prose():
    verse = "The sea is grey,\nthe road is long,\nand we are home.\n"
    assert excerpt(verse, words=10) == "The sea is grey,\nthe road is long,\nand we…"
    prose = (
        "It was the best of times, it was the worst of times, it was the age of\n"
        "wisdom, it was the age of foolishness.\n"
    )
    assert "\n" not in excerpt(prose, words=40)


def test_the_excerpt_of_markdown_leaves_out_its_markup_and_front_matter():
    text = "---\nauthor: Ada\ntitle: River\n---\n# River\n\nA **bold** [walk](https://x.y) home.\n"
    assert excerpt(text, words=20) == "River\n\nA bold walk home."


def test_the_excerpt_defaults_to_the_setting(settings):
    settings.TEXT_EXCERPT_WORDS = 7
    assert len(excerpt(story(500)).split()) == 7


def test_the_cover_card_is_a_jpeg_of_thumbnail_size(settings):
    card = Image.open(io.BytesIO(text_card("The Winter River", excerpt(story(300)))))
    assert card.format == "JPEG"
    assert card.size == (settings.RENDITION_THUMBNAIL_PX, settings.RENDITION_THUMBNAIL_PX * 3 // 4)


def test_long_titles_and_words_wrap_inside_the_card():
    from PIL import ImageDraw

    from uploads.text.renditions import _font

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    font = _font(23, bold=True)
    title = "A very long title about the river and the winter and everything after " * 3
    lines = wrap(draw, title + "Supercalifragilisticexpialidocious" * 3, font, 348)
    assert len(lines) > 3
    assert all(draw.textlength(line, font=font) <= 348 for line in lines)

    card = Image.open(io.BytesIO(text_card(title, "word " * 400)))
    # Nothing is drawn in the right margin: wrapping kept every line inside.
    margin = card.crop((card.width - 20, 10, card.width, card.height)).convert("L")
    assert margin.getextrema()[0] > 200


def test_language_of_an_english_and_a_french_paragraph():
    english = (
        "She walked down to the river in the cold morning light and waited for the train, "
        "remembering the letters her mother had written every winter."
    )
    assert detect_language(english) == "en"
    assert detect_language(FRENCH) == "fr"
    assert detect_language("Hello there") == ""


def test_markdown_front_matter_is_read_as_plain_pairs_and_names_the_author():
    text = (
        '---\nauthor: "Ada Lindqvist"\ngenerator: ChatGPT (GPT-4o)\ntags: [river, winter]\n'
        "nested:\n  evil: !!python/object/apply:os.system ['id']\n---\n" + story(50)
    )
    summary = read_text_metadata(extract_text(text.encode(), MARKDOWN), MARKDOWN)

    assert summary.creator == "Ada Lindqvist"
    assert summary.data["front_matter"] == {
        "author": "Ada Lindqvist",
        "generator": "ChatGPT (GPT-4o)",
        "tags": "[river, winter]",
    }
    assert summary.data["generator_hints"] == ["names a text generator: ChatGPT (GPT-4o)"]
    assert [s.title for s in metadata_sections(summary.data)] == ["Front matter"]


def test_a_text_that_says_a_generator_wrote_it_is_hinted():
    text = (
        story(80) + "\nAs an AI language model, I cannot feel the cold.\n\nGenerated by ChatGPT.\n"
    )
    summary = read_text_metadata(extract_text(text.encode(), PLAIN), PLAIN)
    assert summary.data["generator_hints"] == [
        "the text says “As an AI language model”",
        "the text says “Generated by ChatGPT”",
    ]
    assert (
        read_text_metadata(extract_text(story(80).encode(), PLAIN), PLAIN).data["generator_hints"]
        == []
    )

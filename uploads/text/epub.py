"""Reading an EPUB, which is a ZIP archive from a stranger.

It is read in memory only (no entry is ever written to disk, so a `../` or absolute entry name
reaches nothing), and `EpubArchive` bounds what it reads: the number of entries, the declared
and the actual uncompressed size, and the compression ratio of each entry. Its XML (container,
OPF, encryption) goes through defusedxml, so entity expansion and external entities are
refused; chapters go through html.parser, which expands no entity it did not know beforehand.
DRM (an encryption.xml naming anything but font obfuscation, Adobe, Apple or Readium licences)
is refused: the text could not be read, fingerprinted or delivered."""

from __future__ import annotations

import codecs
import io
import lzma
import posixpath
import re
import struct
import zipfile
import zlib
from html.parser import HTMLParser
from urllib.parse import unquote

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.conf import settings

from uploads import errors
from uploads.errors import UploadRefused

MAX_FIELD_CHARS = 500  # of one metadata string
MAX_FIELD_ITEMS = 20  # of one metadata list (creators, contributors)
# Entries smaller than this are exempt from the ratio check: a short run of markup compresses
# far beyond 100:1 and can do no harm; the total cap bounds them all.
RATIO_CHECK_FROM = 64 * 1024

_XML_ENCODING = re.compile(rb"""^<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
# Font obfuscation (IDPF and Adobe) only mangles embedded fonts; it is not DRM and leaves the
# text readable. Any other algorithm in META-INF/encryption.xml encrypts content.
_FONT_OBFUSCATION = {
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
}
_CHAPTER_TYPES = {"application/xhtml+xml", "text/html", "application/xml"}
_PROTECTED_MESSAGE = "This EPUB is protected (DRM); upload an unprotected copy."


# --- EPUB archive -----------------------------------------------------------------------------


def _corrupt(message: str = "The EPUB is damaged and cannot be read.") -> UploadRefused:
    return UploadRefused(errors.CORRUPT_EPUB, message)


def _bomb(message: str) -> UploadRefused:
    return UploadRefused(errors.EPUB_BOMB, message, status=413)


# A central directory record is 46 bytes plus its name, extra field and comment: this allows
# EPUB_MAX_ENTRIES entries with names and fields of a few hundred bytes each.
_DIRECTORY_BYTES_PER_ENTRY = 1024


def _declared_entries(data: bytes) -> int | None:
    """The entry count from the end-of-central-directory record, read before zipfile parses
    the whole directory (a 40 MB directory of empty entries would take it seconds). zipfile
    walks the directory by its size, not its count, so a directory larger than the count
    allows counts as too many entries."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    count, directory_bytes = struct.unpack_from("<HI", data, at + 10)
    if directory_bytes > settings.EPUB_MAX_ENTRIES * _DIRECTORY_BYTES_PER_ENTRY:
        return settings.EPUB_MAX_ENTRIES + 1
    return count


class EpubArchive:
    """An EPUB's ZIP, opened in memory within the settings' bounds. Entry names are looked up
    exactly as the book refers to them; nothing is extracted to disk."""

    def __init__(self, data: bytes) -> None:
        max_entries = settings.EPUB_MAX_ENTRIES
        declared = _declared_entries(data)
        if declared is None:
            raise _corrupt()
        if declared > max_entries:  # 0xFFFF (ZIP64) lands here too
            raise _bomb(f"The EPUB holds more than {max_entries} files.")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            NotImplementedError,  # an entry "needs" a zip version zipfile does not know
            OSError,
            ValueError,
            EOFError,
        ) as exc:
            raise _corrupt() from exc
        if len(infos) > max_entries:
            raise _bomb(f"The EPUB holds more than {max_entries} files.")
        if any(info.flag_bits & 0x1 for info in infos):  # ZIP-level encryption
            raise UploadRefused(errors.PROTECTED_EPUB, _PROTECTED_MESSAGE)
        total = sum(info.file_size for info in infos)
        if total > settings.EPUB_MAX_UNCOMPRESSED:
            raise _bomb(self._too_large_message(total))
        for info in infos:
            self._check_ratio(info, info.file_size)
        self._infos = {info.filename: info for info in infos}
        self._read_total = 0

    @staticmethod
    def _too_large_message(size: int) -> str:
        limit = settings.EPUB_MAX_UNCOMPRESSED
        return (
            f"The EPUB unpacks to {size / 2**20:.0f} MB or more; the limit is "
            f"{limit / 2**20:.0f} MB."
        )

    @staticmethod
    def _check_ratio(info: zipfile.ZipInfo, size: int) -> None:
        if size >= RATIO_CHECK_FROM and size > settings.EPUB_MAX_RATIO * max(1, info.compress_size):
            raise _bomb("The EPUB holds a file compressed beyond any real book (a zip bomb).")

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """One entry's bytes. The declared sizes may lie, so the read itself is bounded by what
        is left of the total allowance and checked against the entry's ratio."""
        info = self._infos.get(name)
        if info is None:
            raise _corrupt(f"The EPUB lacks a file it refers to ({name[:100]}).")
        allowance = settings.EPUB_MAX_UNCOMPRESSED - self._read_total
        try:
            with self._zip.open(info) as entry:
                content = entry.read(allowance + 1)
        except NotImplementedError as exc:  # a compression method zipfile lacks
            raise _corrupt() from exc
        except (
            zipfile.BadZipFile,
            OSError,
            ValueError,
            EOFError,
            zlib.error,
            lzma.LZMAError,
        ) as exc:
            raise _corrupt() from exc  # a damaged deflate or LZMA stream among them
        except RuntimeError as exc:  # "File is encrypted"
            raise UploadRefused(errors.PROTECTED_EPUB, _PROTECTED_MESSAGE) from exc
        if len(content) > allowance:
            raise _bomb(self._too_large_message(settings.EPUB_MAX_UNCOMPRESSED + 1))
        self._check_ratio(info, len(content))
        self._read_total += len(content)
        return content


def _parse_xml(raw: bytes, what: str):
    try:
        return SafeET.fromstring(raw)
    except DefusedXmlException as exc:
        raise _corrupt(f"The EPUB's {what} declares XML entities, which are not accepted.") from exc
    except (SafeET.ParseError, ValueError, UnicodeError, RecursionError, LookupError) as exc:
        # LookupError: an XML declaration naming an encoding Python does not have.
        raise _corrupt(f"The EPUB's {what} is not well-formed XML.") from exc


def _local(tag) -> str:
    """An element's name without its namespace; books disagree on namespaces more than on
    names."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attribute(element, name: str) -> str:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return ""


def _capped(value: str) -> str:
    return " ".join(value.split())[:MAX_FIELD_CHARS]


def check_not_protected(archive: EpubArchive) -> None:
    # Adobe ADEPT's rights.xml, Apple FairPlay's sinf.xml, Readium LCP's licence.
    if any(archive.has(f"META-INF/{name}") for name in ("rights.xml", "sinf.xml", "license.lcpl")):
        raise UploadRefused(errors.PROTECTED_EPUB, _PROTECTED_MESSAGE)
    if not archive.has("META-INF/encryption.xml"):
        return
    root = _parse_xml(archive.read("META-INF/encryption.xml"), "encryption.xml")
    for element in root.iter():
        method = _local(element.tag) == "EncryptionMethod"
        if method and _attribute(element, "Algorithm") not in _FONT_OBFUSCATION:
            raise UploadRefused(errors.PROTECTED_EPUB, _PROTECTED_MESSAGE)


def _package_path(archive: EpubArchive) -> str:
    if not archive.has("META-INF/container.xml"):
        raise _corrupt("The EPUB has no META-INF/container.xml, so its contents cannot be found.")
    root = _parse_xml(archive.read("META-INF/container.xml"), "container.xml")
    for element in root.iter():
        if _local(element.tag) == "rootfile":
            path = _attribute(element, "full-path")
            if path and archive.has(path):
                return path
    raise _corrupt("The EPUB's container.xml names no package document it holds.")


def _resolve(base: str, href: str) -> str | None:
    """An href of the package (relative to its folder, URL-encoded) as an entry name; None for
    anything that leaves the book (an absolute path, `..` above the root, a URL)."""
    href = unquote(href.split("#", 1)[0]).strip()
    if not href or href.startswith("/") or ":" in href.split("/", 1)[0]:
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), href))
    if path.startswith("../") or path == ".." or path.startswith("/"):
        return None
    return path


def _metadata_fields(metadata_element):
    """The fields of <metadata>: its children, and those of OPF 2's <dc-metadata> and
    <x-metadata> wrappers. Only these: a field's text is read once, so a hostile OPF nested
    100,000 deep costs one pass, not one per level."""
    for child in metadata_element:
        if _local(child.tag) in ("dc-metadata", "x-metadata"):
            yield from child
        else:
            yield child


def _dublin_core(metadata_element) -> dict:
    """dc:title, creators, rights, ISBN, language, publisher, date, contributors, and the
    generator and TDM reservation metas, every string capped."""
    found: dict[str, list[str]] = {}
    meta: dict[str, str] = {}
    for element in _metadata_fields(metadata_element):
        name = _local(element.tag)
        text = _capped("".join(element.itertext()))
        if name == "meta":
            key = (_attribute(element, "name") or _attribute(element, "property")).lower()
            value = _capped(_attribute(element, "content") or text)
            if key and value and key not in meta:
                meta[key] = value
            continue
        if name == "identifier" and _attribute(element, "scheme").lower() == "isbn":
            text = f"isbn:{text}"  # OPF 2 marks ISBNs with opf:scheme
        if text:
            values = found.setdefault(name, [])
            if len(values) < MAX_FIELD_ITEMS:
                values.append(text)
    result: dict = {}
    for key in ("title", "rights", "language", "publisher", "date"):
        if found.get(key):
            result[key] = found[key][0]
    if found.get("creator"):
        result["creator"] = ", ".join(found["creator"])[:MAX_FIELD_CHARS]
    if found.get("contributor"):
        result["contributors"] = found["contributor"]
    identifiers = found.get("identifier") or []
    for identifier in identifiers:
        isbn = _isbn(identifier)
        if isbn:
            result["isbn"] = isbn
            break
    if identifiers and "isbn" not in result:
        result["identifier"] = identifiers[0]
    if meta.get("generator"):
        result["generator"] = meta["generator"]
    if meta.get("tdm:reservation"):
        result["tdm_reservation"] = meta["tdm:reservation"]
    if meta.get("tdm:policy"):
        result["tdm_policy"] = meta["tdm:policy"]
    return result


def _isbn(identifier: str) -> str:
    """The ISBN an identifier holds (`urn:isbn:978…`, `978-…`, or ten digits marked as an
    ISBN), digits only; "" for UUIDs and other schemes, whose digits could look like one."""
    lowered = identifier.strip().lower()
    digits = re.sub(r"[- ]", "", re.sub(r"^(?:urn:)?isbn[:\s]*", "", lowered)).upper()
    if re.fullmatch(r"97[89]\d{10}", digits):
        return digits
    if lowered.startswith(("isbn", "urn:isbn")) and re.fullmatch(r"\d{9}[\dX]", digits):
        return digits
    return ""


def read_epub(data: bytes) -> tuple[str, dict]:
    """(text, Dublin Core metadata): the chapters in spine order, paragraphs kept."""
    archive = EpubArchive(data)
    check_not_protected(archive)
    package = _package_path(archive)
    root = _parse_xml(archive.read(package), "package document (OPF)")
    manifest: dict[str, tuple[str, str]] = {}
    spine: list[str] = []
    metadata: dict = {}
    for element in root:
        name = _local(element.tag)
        if name == "metadata":
            metadata = _dublin_core(element)
        elif name == "manifest":
            for item in element:
                if _local(item.tag) == "item":
                    manifest[_attribute(item, "id")] = (
                        _attribute(item, "href"),
                        _attribute(item, "media-type").lower(),
                    )
        elif name == "spine":
            spine = [_attribute(ref, "idref") for ref in element if _local(ref.tag) == "itemref"]
    if not spine:
        raise _corrupt("The EPUB's package document lists no chapters (no spine).")
    chapters = []
    seen = set()
    for idref in spine:
        href, media_type = manifest.get(idref, ("", ""))
        path = _resolve(package, href) if href else None
        if path is None or path in seen or not archive.has(path):
            continue
        if media_type not in _CHAPTER_TYPES and not path.lower().endswith(
            (".xhtml", ".html", ".htm")
        ):
            continue
        seen.add(path)
        chapter = chapter_text(archive.read(path))
        if chapter:
            chapters.append(chapter)
    return "\n\n".join(chapters) + ("\n" if chapters else ""), metadata


# --- Chapters ---------------------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "section", "article", "aside", "header", "footer", "nav", "main", "blockquote",
    "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr",
    "figure", "figcaption", "hr", "pre", "body", "address", "center",
}  # fmt: skip
_SKIPPED = {"script", "style", "head", "title", "svg", "math", "template", "noscript"}


class _ChapterReader(HTMLParser):
    """Paragraphs of a chapter's body: one per block element, `<br>` kept as a line break,
    whitespace inside a paragraph collapsed (kept as is inside `<pre>`)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skipping = 0
        self._pre = 0

    def _close_paragraph(self) -> None:
        raw = "".join(self._current)
        self._current = []
        if self._pre:
            text = raw.strip("\n")
        else:
            lines = (" ".join(line.split()) for line in raw.split("\n"))
            text = "\n".join(line for line in lines if line)
        if text.strip():
            self.paragraphs.append(text)

    def close(self) -> None:
        super().close()
        self._close_paragraph()  # the text after the last block

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif self._skipping:
            return
        elif tag == "br":
            self._current.append("\n")
        elif tag in _BLOCKS:
            self._close_paragraph()
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag, attrs) -> None:
        if tag in _SKIPPED:  # <script/> opens nothing
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif self._skipping:
            return
        elif tag in _BLOCKS:
            self._close_paragraph()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data) -> None:
        if not self._skipping:
            # Source line breaks are layout, not the author's: only <br> and blocks break.
            self._current.append(data if self._pre else data.replace("\n", " "))


def _decode_markup(raw: bytes) -> str:
    """A chapter's characters: its BOM, else its XML declaration, else UTF-8 (the EPUB
    default); bytes that do not fit become U+FFFD rather than refusing a whole book."""
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _XML_ENCODING.match(raw)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return raw.decode(encoding, errors="replace")
    except LookupError:  # an unknown name, or a codec that is no text encoding (base64, zlib)
        return raw.decode("utf-8", errors="replace")


def _unclosed_tail_escaped(markup: str) -> str:
    """`markup` with every `<` after its last `>` written `&lt;`: such a `<` opens nothing
    that closes, and html.parser (before CPython's fix for CVE-2025-6069) re-scans the rest of
    the chapter from each one, so a 100 KB run of `<a ` took it minutes. As text they read
    the same as the parser would read them at the end."""
    last = markup.rfind(">")
    tail = markup[last + 1 :]
    return markup if "<" not in tail else markup[: last + 1] + tail.replace("<", "&lt;")


def chapter_text(raw: bytes) -> str:
    """The readable text of one XHTML chapter, paragraphs separated by blank lines."""
    reader = _ChapterReader()
    try:
        reader.feed(_unclosed_tail_escaped(_decode_markup(raw)))
        reader.close()
    except (AssertionError, ValueError, RecursionError) as exc:  # html.parser's own refusals
        raise _corrupt("A chapter of the EPUB is damaged and cannot be read.") from exc
    return "\n\n".join(reader.paragraphs)

"""What the catalog shows of a text work: a short excerpt (the public taste of it, never the
whole) and a "cover card", a JPEG of the thumbnail's size with the title and the opening lines
set on paper, so the works grid shows texts beside images unchanged."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageDraw, ImageFont

from uploads.text.extract import split_front_matter

ELLIPSIS = "…"
# The site's palette (static/css/assent.css): ink on a warm paper, the brand green as a band.
PAPER = (250, 248, 242)
INK = (29, 36, 34)
MUTED = (74, 84, 80)
BRAND = (18, 113, 95)
LINE = (226, 231, 227)
CARD_ASPECT = 3 / 4  # height : width, as the grid's 4:3 thumbnails
TITLE_LINES = 3
# A serif where the machine has one (Debian's fonts-dejavu-core); Pillow's own font otherwise.
SERIF_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)
SERIF_BOLD_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
)

# No repeat can run over the character that opens another match ("[", "(", "<"), so the scans
# of two starts never overlap and a hostile run of "[[[[" or "<<<<" stays linear.
_IMAGE = re.compile(r"!\[[^\[\]\n]{0,300}\]\([^()\n]{0,500}\)")
_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\([^()\n]{0,500}\)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE)
_STRONG = re.compile(r"\*\*|__")  # strong emphasis marks, dropped wherever they stand
_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,200}>")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]{0,3}\1){2,80}[ \t]*$", re.MULTILINE)
_TRAILING_PUNCTUATION = ".,;:—–-"


def readable(text: str) -> str:
    """The text as a reader sees it: Markdown's front matter, heading marks, emphasis marks,
    link targets, images, rules and tags left out. Plain text rarely holds any of these at the
    places they are looked for, so it passes through as it is."""
    _, text = split_front_matter(text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _QUOTE.sub("", text)
    text = _RULE.sub("", text)
    text = _STRONG.sub("", text)
    return _TAG.sub("", text)


def _paragraph_lines(paragraph: str) -> list[list[str]]:
    """A paragraph's lines, each a list of words. Hard-wrapped prose (every line but the last
    a long one, as in Project Gutenberg files) becomes one line; verse keeps its lines."""
    lines = [line.split() for line in paragraph.split("\n")]
    lines = [words for words in lines if words]
    if len(lines) > 1 and all(len(" ".join(words)) >= 50 for words in lines[:-1]):
        return [[word for words in lines for word in words]]
    return lines


# About six characters a word in English prose (space and punctuation included), seven in
# German: eight leaves room for a long-worded opening and still bounds a text without spaces.
EXCERPT_CHARS_PER_WORD = 8


def excerpt(text: str, words: int | None = None) -> str:
    """The first `words` words (settings.TEXT_EXCERPT_WORDS), whole words only, paragraph and
    verse line breaks kept, with an ellipsis when the text goes on."""
    limit = settings.TEXT_EXCERPT_WORDS if words is None else words
    # Only the opening is read: a book's later chapters never reach the excerpt.
    head = text[: max(20_000, limit * 100)]
    paragraphs: list[str] = []
    count = 0
    cut = False
    for paragraph in re.split(r"\n[ \t]*\n", readable(head)):
        if count >= limit:
            cut = bool(paragraph.split())
            if cut:
                break
            continue
        kept_lines = []
        for line in _paragraph_lines(paragraph):
            room = limit - count
            if len(line) > room:
                if room > 0:
                    kept_lines.append(" ".join(line[:room]))
                count = limit
                cut = True
                break
            kept_lines.append(" ".join(line))
            count += len(line)
        if kept_lines:
            paragraphs.append("\n".join(kept_lines))
        if cut:
            break
    if not cut and len(head) < len(text) and text[len(head) :].strip():
        cut = True
    shown = "\n\n".join(paragraphs)
    # Words are counted between spaces, and Chinese, Japanese or Thai have none: a paragraph
    # would be one "word" and the excerpt the whole work. Characters bound it too.
    most = limit * EXCERPT_CHARS_PER_WORD
    if len(shown) > most:
        shown = shown[:most]
        space = shown.rfind(" ", most - 40)
        shown = shown[:space] if space > 0 else shown
        cut = True
    if cut and shown:
        shown = shown.rstrip(_TRAILING_PUNCTUATION + " ") + ELLIPSIS
    return shown


# --- The cover card ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in SERIF_BOLD_FONTS if bold else SERIF_FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _split_long_word(draw, word: str, font, width: int) -> list[str]:
    """A word wider than the line (a URL, a long compound) broken into pieces that fit."""
    pieces, piece = [], ""
    for char in word:
        if piece and draw.textlength(piece + char, font=font) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    """Lines of `text` no wider than `width` pixels; explicit line breaks kept."""
    lines: list[str] = []
    for source_line in text.split("\n"):
        line = ""
        for word in source_line.split():
            pieces = (
                _split_long_word(draw, word, font, width)
                if draw.textlength(word, font=font) > width
                else [word]
            )
            for piece in pieces:
                candidate = f"{line} {piece}" if line else piece
                if line and draw.textlength(candidate, font=font) > width:
                    lines.append(line)
                    line = piece
                else:
                    line = candidate
        if line:
            lines.append(line)
    return lines


def _with_ellipsis(draw, line: str, font, width: int) -> str:
    """The line shortened, word by word then letter by letter, until it fits with an
    ellipsis."""
    if line.endswith(ELLIPSIS) and draw.textlength(line, font=font) <= width:
        return line
    line = line.removesuffix(ELLIPSIS).rstrip(_TRAILING_PUNCTUATION + " ")
    while line and draw.textlength(line + ELLIPSIS, font=font) > width:
        shorter = line.rsplit(" ", 1)[0] if " " in line else line[:-1]
        line = shorter.rstrip(_TRAILING_PUNCTUATION + " ")
    return line + ELLIPSIS


def _line_height(font) -> int:
    top, bottom = font.getbbox("Ágjy|")[1::2]
    return bottom - top


def text_card(title: str, excerpt: str) -> bytes:
    """A JPEG cover card, RENDITION_THUMBNAIL_PX wide and 3/4 as high: the title (at most three
    lines) over a rule, then the excerpt's first lines, all inside the margins."""
    width = settings.RENDITION_THUMBNAIL_PX
    height = round(width * CARD_ASPECT)
    scale = width / 400
    margin = round(26 * scale)
    inner = width - 2 * margin
    card = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, max(2, round(6 * scale))), fill=BRAND)

    title_font = _font(max(10, round(23 * scale)), bold=True)
    body_font = _font(max(8, round(14 * scale)))
    title_step = round(_line_height(title_font) * 1.3)
    body_step = round(_line_height(body_font) * 1.55)

    y = margin + round(6 * scale)
    title_lines = wrap(draw, " ".join((title or "").split()) or "Untitled", title_font, inner)
    if len(title_lines) > TITLE_LINES:
        title_lines = [
            *title_lines[: TITLE_LINES - 1],
            _with_ellipsis(draw, title_lines[TITLE_LINES - 1], title_font, inner),
        ]
    for line in title_lines:
        draw.text((margin, y), line, font=title_font, fill=INK)
        y += title_step
    y += round(4 * scale)
    draw.line(
        (margin, y, margin + round(48 * scale), y), fill=BRAND, width=max(1, round(2 * scale))
    )
    y += round(14 * scale)

    bottom = height - margin
    body_lines: list[str] = []
    for index, paragraph in enumerate(excerpt.split("\n\n")):
        if index:
            body_lines.append("")  # a paragraph break: half a line of space
        body_lines += wrap(draw, paragraph, body_font, inner)
    fits = max(0, (bottom - y) // body_step)
    shown = body_lines[:fits]
    while shown and not shown[-1]:
        shown.pop()
    if shown and (len(body_lines) > len(shown) or excerpt.rstrip().endswith(ELLIPSIS)):
        shown[-1] = _with_ellipsis(draw, shown[-1], body_font, inner)
    for line in shown:
        if line:
            draw.text((margin, y), line, font=body_font, fill=MUTED)
            y += body_step
        else:
            y += body_step // 2

    out = io.BytesIO()
    card.save(out, format="JPEG", quality=85)
    return out.getvalue()

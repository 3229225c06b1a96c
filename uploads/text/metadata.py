"""What a text says about itself: an EPUB's Dublin Core fields, a Markdown file's front matter,
hints that a generator wrote it, and its language. Stored like an image's metadata (the same
MetadataSummary), so the work page, the screening signals and the licenses read it the same way.

Like the image readers, nothing here raises: the file is hostile, and a reader that fails is
recorded under `errors` while the upload goes on."""

from __future__ import annotations

import functools
import logging
import re

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from uploads.metadata.extract import MetadataSummary
from uploads.text.extract import (
    MARKDOWN_MEDIA_TYPE,
    ExtractedText,
    media_type_of,
    split_front_matter,
)
from uploads.text.renditions import readable

logger = logging.getLogger(__name__)

MAX_FRONT_MATTER_KEYS = 50
MAX_VALUE_CHARS = 500
MAX_HINTS = 5
# Text generators whose name in a contributor, generator or front matter field is a hint.
KNOWN_TEXT_GENERATORS = (
    "chatgpt",
    "gpt-3",
    "gpt-3.5",
    "gpt-4",
    "gpt-4o",
    "gpt-5",
    "openai",
    "claude",
    "anthropic",
    "gemini",
    "bard",
    "llama",
    "mistral",
    "copilot",
    "jasper",
    "sudowrite",
    "novelai",
    "writesonic",
    "copy.ai",
    "rytr",
    "grok",
    "deepseek",
)
_GENERATOR_NAME = re.compile(
    r"(?<![\w.-])(?:" + "|".join(re.escape(name) for name in KNOWN_TEXT_GENERATORS) + r")(?![\w])",
    re.IGNORECASE,
)
_GENERATED_BY = re.compile(
    r"\b(?:generated|written|created|produced|composed) (?:by|with|using) "
    r"(?:chatgpt|gpt-?[3-5](?:\.\d)?o?|openai|claude|gemini|bard|llama|copilot|jasper|sudowrite"
    r"|novelai|an ai(?: model| tool| assistant| language model)?)(?![\w])",
    re.IGNORECASE,
)
# What a generator's text says of itself (or its interface, pasted along with it).
SELF_DESCRIPTIONS = (
    "as an ai language model",
    "as an ai model",
    "as a large language model",
    "i am an ai language model",
    "i am an ai assistant",
    "regenerate response",
)
# Front matter keys whose value names the tool that wrote the text.
_TOOL_KEYS = {
    "generator",
    "generated_by",
    "generated-by",
    "tool",
    "model",
    "ai",
    "ai_tool",
    "written_with",
}
_CREATOR_KEYS = ("author", "authors", "creator", "by")
_FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w .-]{0,60}?)\s*:\s*(.*)$")
TDM_RESERVED = "tdm:reservation=1"
# Language detection: fewer letters than this say too little; a guess below the confidence is
# no answer. Only the opening is read: a book does not change language after 10,000 characters.
MIN_LANGUAGE_LETTERS = 40
MIN_LANGUAGE_CONFIDENCE = 0.8
LANGUAGE_SAMPLE_CHARS = 10_000


def _safely(name: str, errors: dict, reader, *args):
    try:
        return reader(*args)
    except Exception as exc:  # a hostile file may break any reader; record it and go on
        logger.info("text metadata reader %s failed: %s", name, exc)
        errors[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return None


def parse_front_matter(text: str) -> dict[str, str]:
    """Markdown front matter as `key: value` pairs, nothing else: no YAML is loaded (no tags,
    anchors or objects), nested values and list items are left out."""
    block, _ = split_front_matter(text)
    pairs: dict[str, str] = {}
    for line in block.split("\n"):
        match = _FRONT_MATTER_LINE.match(line)  # indented lines and list items never match
        if not match or len(pairs) >= MAX_FRONT_MATTER_KEYS:
            continue
        key, value = match.group(1).strip().lower(), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if value and key not in pairs:
            pairs[key] = " ".join(value.split())[:MAX_VALUE_CHARS]
    return pairs


def generator_hints(text: str, dublin_core: dict, front_matter: dict) -> list[str]:
    hints: list[str] = []
    named = [
        *(dublin_core.get("contributors") or []),
        dublin_core.get("generator") or "",
        *(value for key, value in front_matter.items() if key in _TOOL_KEYS),
    ]
    for value in named:
        if value and _GENERATOR_NAME.search(str(value)):
            hints.append(f"names a text generator: {str(value)[:100]}")
    # Plain substring tests first: a regex over a whole book costs ~50 ms, and these phrases
    # are rare, so the regex runs only on a text that holds one of them.
    lowered = text.lower()
    for phrase in SELF_DESCRIPTIONS:
        if phrase in lowered:
            found = re.search(re.escape(phrase), text, re.IGNORECASE)
            hints.append(f"the text says “{found.group() if found else phrase}”")
    names = (*KNOWN_TEXT_GENERATORS, "an ai")
    if any(name in lowered for name in names):
        for match in _GENERATED_BY.finditer(text):
            hint = f"the text says “{match.group()[:100]}”"
            if hint not in hints:
                hints.append(hint)
            if len(hints) >= MAX_HINTS:
                break
    return hints[:MAX_HINTS]


def _creator(dublin_core: dict, front_matter: dict) -> str:
    if dublin_core.get("creator"):
        return str(dublin_core["creator"])
    for key in _CREATOR_KEYS:
        if front_matter.get(key):
            return front_matter[key].strip("[]")
    return ""


def read_text_metadata(extracted: ExtractedText, fmt) -> MetadataSummary:
    """The summary of a text work's own metadata; never raises."""
    errors: dict[str, str] = {}
    try:
        is_markdown = media_type_of(fmt) == MARKDOWN_MEDIA_TYPE
        dublin_core = dict(extracted.metadata or {})
        front_matter = (
            _safely("front_matter", errors, parse_front_matter, extracted.text) or {}
            if is_markdown
            else {}
        )
        hints = (
            _safely(
                "generator_hints",
                errors,
                generator_hints,
                extracted.text,
                dublin_core,
                front_matter,
            )
            or []
        )
        data_mining = TDM_RESERVED if str(dublin_core.get("tdm_reservation")) == "1" else ""
        return MetadataSummary(
            data={
                "dublin_core": dublin_core,
                "front_matter": front_matter,
                "generator_hints": hints,
                "errors": errors,
            },
            creator=_creator(dublin_core, front_matter)[:500],
            data_mining=data_mining,
        )
    except Exception as exc:  # the promise is a summary, whatever the file held
        logger.info("text metadata failed: %s", exc)
        errors["text_metadata"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        return MetadataSummary(data={"generator_hints": [], "errors": errors})


@functools.cache
def _identifier() -> LanguageIdentifier:
    """Loaded once per process (half a second), on the first text processed."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """The text's language as an ISO 639-1 code, or "" when the text is too short or the guess
    is unsure."""
    try:
        sample = readable(text[: LANGUAGE_SAMPLE_CHARS * 2])[:LANGUAGE_SAMPLE_CHARS]
        if sum(char.isalpha() for char in sample) < MIN_LANGUAGE_LETTERS:
            return ""
        language, confidence = _identifier().classify(sample)
    except Exception as exc:  # never fail processing over a language guess
        logger.info("language detection failed: %s", exc)
        return ""
    if confidence < MIN_LANGUAGE_CONFIDENCE or not re.fullmatch(r"[a-z]{2}", language or ""):
        return ""
    return language

"""Every link in the README, bench/README.md and docs/ resolves inside the clone: relative paths
name files that exist, `#anchors` name headings that exist (GitHub's slugs), and no link leaves
the repository (no `../` out of it, no absolute path, no URL)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]


def doc_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "bench" / "README.md"]
    files += sorted((REPO / "docs").rglob("*.md"))
    return [path for path in files if path.is_file()]


FENCE = re.compile(r"^\s{0,3}(```+|~~~+)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title") and ![alt](target); the target may be wrapped in <>.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
AUTOLINK = re.compile(r"<((?:[a-zA-Z][a-zA-Z0-9+.-]*:|/)[^>\s]*)>")
HTML_HREF = re.compile(r"""<a\s[^>]*href=["']([^"']+)["']""", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"""<a\s[^>]*(?:id|name)=["']([^"']+)["']""", re.IGNORECASE)
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def outside_fences(text: str):
    """(line number, line) for the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), start=1):
        opening = FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)[0] * 3
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        yield number, line


def prose_lines(text: str):
    """(line number, line) outside fenced code blocks, with inline code spans blanked."""
    for number, line in outside_fences(text):
        yield number, INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


def slugify(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower case, punctuation dropped (letters,
    marks, digits, `_`, `-` and spaces stay), spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("*", "")
    text = re.sub(r"(?<![\w])_+|_+(?![\w])", "", text)
    kept = []
    for char in text.lower():
        category = unicodedata.category(char)
        if char in " -_" or category[0] in "LMN":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in outside_fences(text):
        found.update(HTML_ANCHOR.findall(line))
        heading = ATX_HEADING.match(line)
        if not heading:
            continue
        slug = slugify(heading.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def links(path: Path):
    text = path.read_text(encoding="utf-8")
    for number, line in prose_lines(text):
        for pattern in (INLINE_LINK, REFERENCE_DEF, AUTOLINK, HTML_HREF):
            for match in pattern.finditer(line):
                yield number, match.group(1)


def link_problem(source: Path, target: str) -> str | None:
    """Why `target`, written in `source`, does not resolve inside the clone (None if it does)."""
    if not target:
        return "empty link target"
    if SCHEME.match(target):
        return "points outside the clone (a URL); name it as plain text instead"
    if target.startswith(("/", "\\")) or re.match(r"^[a-zA-Z]:[\\/]", target):
        return "absolute path: links must be relative to the file"
    raw_path, _, fragment = target.partition("#")
    raw_path = unquote(raw_path.split("?", 1)[0])
    resolved = (source.parent / raw_path).resolve() if raw_path else source
    try:
        resolved.relative_to(REPO)
    except ValueError:
        return "points outside the clone"
    if not resolved.exists():
        return f"no such file: {resolved.relative_to(REPO)}"
    if fragment:
        if resolved.is_dir():
            return "an #anchor on a directory"
        if resolved.suffix.lower() == ".md" and unquote(fragment) not in anchors(resolved):
            return f"no heading with the anchor #{fragment} in {resolved.relative_to(REPO)}"
    return None


@pytest.mark.parametrize("path", doc_files(), ids=lambda path: str(path.relative_to(REPO)))
def test_every_link_resolves_inside_the_clone(path):
    problems = [
        f"{path.relative_to(REPO)}:{number}: ({target}) {problem}"
        for number, target in links(path)
        if (problem := link_problem(path, target))
    ]
    assert not problems, "\n".join(problems)


def test_the_documents_are_there():
    names = {str(path.relative_to(REPO)) for path in doc_files()}
    assert {"README.md", "bench/README.md", "docs/README.md"} <= names


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Quick start", "quick-start"),
        (
            "`bench/intake.py`: the upload intake pipeline",
            "benchintakepy-the-upload-intake-pipeline",
        ),
        ("A local Stripe (`devtools/stripe_local/`)", "a-local-stripe-devtoolsstripe_local"),
        ("Holdback on `destroy-models` licenses", "holdback-on-destroy-models-licenses"),
        ("Restriction, downloads at expiry, renewal", "restriction-downloads-at-expiry-renewal"),
        ("**Bold** and [a link](x.md)", "bold-and-a-link"),
    ],
)
def test_slugs_follow_github(heading, slug):
    assert slugify(heading) == slug


def test_the_checker_refuses_links_that_leave_the_clone():
    readme = REPO / "README.md"
    assert link_problem(readme, "../shared/design.md") == "points outside the clone"
    assert "absolute path" in link_problem(readme, "/work/shared/design.md")
    assert "URL" in link_problem(readme, "https://example.com/")
    assert "no such file" in link_problem(readme, "docs/missing.md")
    assert "no heading" in link_problem(readme, "#no-such-heading")
    assert link_problem(readme, "docs/README.md") is None
    assert link_problem(readme, "#quick-start") is None


def test_links_in_code_are_not_links():
    text = "see `[x](../out.md)`\n```\n[y](/abs)\n```\n[z](docs/README.md)\n"
    found = [line for _, line in prose_lines(text)]
    targets = [m.group(1) for line in found for m in INLINE_LINK.finditer(line)]
    assert targets == ["docs/README.md"]

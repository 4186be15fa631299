"""The repository speaks for itself: every relative Markdown link resolves (its file exists and its
`#anchor` names a heading of that file, by GitHub's anchor rule); every `docs/<file>.md` named in
code or docs exists, and where a section is named with it (`docs/design.md, "Verdicts"`) that
section exists, as a heading or a bold paragraph lead-in; and no text refers to the project's
internal issue tracker by number."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# the text the checks read: the front page, the docs and every package's source
FOLDERS = ("bench", "data", "priors", "baselines", "tests", "docs", "examples")
TEXT_SUFFIXES = {".py", ".md", ".sh", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini"}
SKIP_PARTS = {".venv", "__pycache__", ".git", ".pytest_cache", "build"}
MAX_BYTES = 2_000_000


def _text_files(folders=FOLDERS, suffixes=TEXT_SUFFIXES):
    files = [REPO / "README.md", REPO / "run_all.sh", REPO / "pyproject.toml"]
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*")):
            if (path.is_file() and path.suffix in suffixes and not SKIP_PARTS & set(path.parts)
                    and ".egg-info" not in str(path) and path.stat().st_size <= MAX_BYTES):
                files.append(path)
    return [f for f in files if f.suffix in suffixes and f.exists()]


def _markdown_files():
    """README.md and every Markdown page under docs/, data/, priors/, bench/, baselines/, tests/data/
    (the generated tables/ and results/ are the renderers' business)."""
    return [f for f in _text_files(("docs", "data", "priors", "bench", "baselines", "tests/data"), {".md"})
            if f.suffix == ".md"]


def _rel(path: Path) -> str:
    path = path.resolve()
    return path.relative_to(REPO).as_posix() if REPO in path.parents else path.name


# ----- GitHub's headings and anchors --------------------------------------------------------------

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)]*)\)")


def _prose_lines(text: str):
    """(line number, line) outside fenced code blocks."""
    fenced = False
    for n, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield n, line


def _heading_texts(text: str) -> list[str]:
    """The headings' text as rendered: inline links reduced to their text, backticks and
    emphasis markers dropped."""
    out = []
    for _, line in _prose_lines(text):
        m = HEADING.match(line)
        if m:
            title = INLINE_LINK.sub(r"\1", m.group(2))
            out.append(re.sub(r"[`*]", "", title).strip())
    return out


def github_anchor(title: str) -> str:
    """GitHub's rule: lowercase; drop everything but letters, digits, spaces, '-' and '_'; spaces
    to '-'."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every anchor GitHub gives the headings of `text` (repeats get -1, -2, ...)."""
    seen: dict[str, int] = {}
    out = set()
    for title in _heading_texts(text):
        base = github_anchor(title)
        k = seen.get(base, 0)
        out.add(base if k == 0 else f"{base}-{k}")
        seen[base] = k + 1
    return out


def test_github_anchor_rule():
    assert github_anchor("Averaged weights (`ema_decay`)".replace("`", "")) == "averaged-weights-ema_decay"
    assert github_anchor("Does a gain last the longer schedule? (study-3k)") == \
        "does-a-gain-last-the-longer-schedule-study-3k"
    assert anchors("# A\n```\n# not a heading\n```\n## A\n") == {"a", "a-1"}


# ----- relative Markdown links --------------------------------------------------------------------

def _links(text: str):
    """(line number, target) of every inline and reference-style link outside code."""
    for n, line in _prose_lines(text):
        line = re.sub(r"`[^`]*`", "", line)
        for m in INLINE_LINK.finditer(line):
            yield n, m.group(2).strip().split(" ")[0].strip("<>")
        m = re.match(r"^ {0,3}\[[^\]]+\]:\s*(\S+)", line)
        if m:
            yield n, m.group(1).strip("<>")


def _is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def dead_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    dead = []
    for n, target in _links(text):
        if not target or _is_external(target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = page if not file_part else (page.parent / file_part).resolve()
        where = f"{_rel(page)}:{n}: {target}"
        if not dest.exists():
            dead.append(f"{where} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor.lower() not in anchors(dest.read_text(encoding="utf-8")):
            dead.append(f"{where} (no heading with that anchor in {dest.name})")
    return dead


def test_relative_markdown_links_resolve():
    pages = _markdown_files()
    assert REPO / "README.md" in pages and REPO / "docs" / "design.md" in pages
    dead = [d for page in pages for d in dead_links(page)]
    assert not dead, "dead links:\n" + "\n".join(dead)


def test_a_dead_link_and_a_dead_anchor_are_found(tmp_path):
    (tmp_path / "b.md").write_text("# Title\n\n## Averaged weights (`ema_decay`)\n")
    page = tmp_path / "a.md"
    page.write_text("[ok](b.md#averaged-weights-ema_decay) [ok](#top) [ok](https://x.org/y.md)\n"
                    "# Top\n[gone](c.md) [bad anchor](b.md#ema)\n```\n[in code](d.md)\n```\n")
    found = dead_links(page)
    assert len(found) == 2 and "c.md (no such file)" in found[0] and "b.md#ema" in found[1]


# ----- docs/<file>.md and section names in code and docs ---------------------------------------

DOC_REF = re.compile(r"(?<![\w./-])(docs/[\w./-]*?\w\.md)")
# `docs/x.md, "Section"` or `docs/x.md ("Section"`, also across a line break in a comment
SECTION_REF = re.compile(r"(?<![\w./-])(docs/[\w./-]*?\w\.md)`?(?:,|\s*\()[\s#]*\"([^\"\n]+)\"")


def sections(text: str) -> list[str]:
    """What a reader can find by name in a page: its headings and bold paragraph lead-ins."""
    bold = [re.sub(r"[`*]", "", m).rstrip(".:").strip() for m in re.findall(r"\*\*([^*\n]+)\*\*", text)]
    return _heading_texts(text) + bold


def names_a_section(name: str, text: str) -> bool:
    """`name` is a section's whole title, or its title up to a parenthesis, colon, full stop or
    dash (`"Averaged weights"` for `## Averaged weights (`ema_decay`)`)."""
    name = name.replace("`", "").strip()
    return any(s == name or (s.startswith(name) and re.match(r"\s*[(:.\u2014-]", s[len(name):]))
               for s in sections(text))


def _line(text: str, m: re.Match) -> int:
    return text.count("\n", 0, m.start()) + 1


def dead_references(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    dead = []
    for m in DOC_REF.finditer(text):
        if not (REPO / m.group(1)).is_file():
            dead.append(f"{_rel(path)}:{_line(text, m)}: {m.group(1)} (no such file)")
    for m in SECTION_REF.finditer(text):
        doc, name = REPO / m.group(1), m.group(2)
        if doc.is_file() and not names_a_section(name, doc.read_text(encoding="utf-8")):
            dead.append(f"{_rel(path)}:{_line(text, m)}: {m.group(1)}, \"{name}\" (no such section)")
    return dead


def test_docs_named_in_code_and_docs_exist_with_their_sections():
    files = [f for f in _text_files() if f != Path(__file__).resolve()]
    dead = [d for f in files for d in dead_references(f)]
    assert not dead, "dead references:\n" + "\n".join(dead)


def test_a_dead_section_reference_is_found(tmp_path):
    src = tmp_path / "x.py"
    src.write_text('"""See docs/design.md, "Verdicts" and docs/design.md ("Averaged weights") and\n'
                   '(docs/design.md,\n    "Pairs across devices") but not docs/design.md, "EMA" nor docs/nothing_here.md."""\n')
    found = dead_references(src)
    assert len(found) == 2 and '"EMA"' in found[1] and "nothing_here.md (no such file)" in found[0]


def test_section_names_match_headings_and_bold_lead_ins():
    text = "## Averaged weights (`ema_decay`)\n## Epochs: where they come from\n**Flat areas.** Where\n"
    assert names_a_section("Averaged weights", text) and names_a_section("Epochs", text)
    assert names_a_section("Flat areas", text)
    assert not names_a_section("EMA", text) and not names_a_section("Averaged", text)
    assert not names_a_section("Flat", text) and names_a_section("Epochs: where they come from", text)


# ----- no internal issue numbers ------------------------------------------------------------------

ISSUE_NUMBER = re.compile(r"issue [0-9]+|issues? #[0-9]+", re.IGNORECASE)


def test_no_text_cites_an_internal_issue_number():
    hits = []
    for f in _text_files():
        for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if ISSUE_NUMBER.search(line):
                hits.append(f"{_rel(f)}:{n}: {line.strip()}")
    assert not hits, "internal issue numbers (say what is meant instead):\n" + "\n".join(hits)


@pytest.mark.parametrize("form", ["see issue {}", "(Issue {}, item 3)", "issues #{} and #5", "issue #{}"])
def test_the_issue_pattern_catches_the_usual_forms(form):
    assert ISSUE_NUMBER.search(form.format(17))      # formatted, so this file passes its own test

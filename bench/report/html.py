"""python -m bench.report.html: one self-contained page to read a profile's tables in.

    python -m bench.report.html --tables tables/study --results results/study

writes tables/study/report.html (--out to write it elsewhere): the profile and its stand-ins, the
verdict counts, then every rendered table (table1.md ... table11.md, table_controls.md,
table_lambda.md) with its caption, its Markdown tables as HTML tables, and its figures embedded as
base64 data URIs; a "Gain by budget" section with any *budget*.png of the folder; the published
inconsistencies last. No network and no script: inline CSS only, so it opens from file://.

What it shows is what `python -m bench.aggregate` rendered, converted, never recomputed: the
Markdown beside the page is the source, so the page cannot say more than the tables do. The one
addition is each row's records: a row's configuration is found by expanding the matrix (read
only, as `tables_folder.render_from_options` does) for the folder's profile and matching (table,
model, data set, label) as the Markdown prints them; its records (all seeds, any status,
`loading.load_results` grouped by `loading.group_by_config`) are linked as
results/<folder>/<key>.json, relative to the page. A row no matrix row matches says so instead of guessing.

Read-only except for the page, written atomically (temp file, then os.replace). Exit 0 when
written; 2 (one line on stderr) for a missing tables folder or one with no rendered tables.
"""
from __future__ import annotations

import argparse
import base64
import os
import re
import sys
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import quote

from bench.files.atomic import write_text
from bench.files.layout import REPO_ROOT, default_folders, display_path, rendered_here
from bench.report import stats
from bench.report.loading import group_by_config, load_results
from bench.report.markdown import VERDICT_PAIR_HEADER, split_verdict_pair
from bench.report.views import STANDIN

PAGE = "report.html"
DEFAULT_MATRIX = REPO_ROOT / "bench" / "experiment" / "matrix.yaml"
TABLE_MD = re.compile(r"table(\d+|_\w+)\.md")
# what the Markdown adds to a row's label: its lambda " (λ=0.0001)" or a note number " ¹", marks " †‡§"
SHOWN_EXTRAS = re.compile(r"( \(λ=[^()]*\)| [⁰¹²³⁴⁵⁶⁷⁸⁹]+)?( [†‡§]+)?$")
PROFILE_LINE = re.compile(r"^Numbers from profile `([^`]+)`\. (.*)$", re.S)
UNMATCHED = "unmatched"
LEGEND_START = "This table:"                         # render.legend_text's first words


class ReportError(Exception):
    """A reason to write nothing, one line."""


# ----- Markdown (the subset render.py writes) -----------------------------------------------

@dataclass
class Block:
    kind: str                   # heading | table | image | para
    text: str = ""              # heading or paragraph text; an image's alt text
    level: int = 0              # heading level
    src: str = ""               # image file
    header: list = field(default_factory=list)
    rows: list = field(default_factory=list)


_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")


def parse_markdown(text: str) -> list[Block]:
    """Headings, GitHub pipe tables, image lines, bullet lists ("- ", an item's indented lines
    continuing it) and paragraphs (lines up to a blank one)."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
        elif re.match(r"#{1,6} ", line):
            hashes, rest = line.split(" ", 1)
            blocks.append(Block("heading", rest.strip(), level=len(hashes)))
            i += 1
        elif _IMAGE.fullmatch(line):
            alt, src = _IMAGE.fullmatch(line).groups()
            blocks.append(Block("image", alt, src=src))
            i += 1
        elif line.startswith("- "):
            items, i = _list_items(lines, i)
            blocks.append(Block("list", "\n".join(items)))
        elif line.startswith("|"):
            j = i
            while j < len(lines) and lines[j].strip().startswith("|"):
                j += 1
            blocks.append(_table_block([lines[k].strip() for k in range(i, j)]))
            i = j
        else:
            j = i
            while j < len(lines) and lines[j].strip() and not _starts_block(lines[j].strip()):
                j += 1
            blocks.append(Block("para", " ".join(lines[k].strip() for k in range(i, j))))
            i = j
    return blocks


def _list_items(lines: list[str], i: int) -> tuple[list[str], int]:
    """The items of the bullet list starting at line i (an item's indented lines continue it)
    and the line after the list."""
    items = []
    while i < len(lines) and (lines[i].startswith("- ") or (items and lines[i].startswith("  ")
                                                             and lines[i].strip())):
        if lines[i].startswith("- "):
            items.append(lines[i][2:].strip())
        else:
            items[-1] += " " + lines[i].strip()
        i += 1
    return items, i


def _starts_block(line: str) -> bool:
    return (line.startswith(("|", "- ")) or bool(re.match(r"#{1,6} ", line))
            or bool(_IMAGE.fullmatch(line)))


def split_cells(line: str) -> list[str]:
    """The cells of one pipe-table line (outer pipes dropped, `\\|` kept as a pipe)."""
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def _table_block(lines: list[str]) -> Block:
    header = split_cells(lines[0])
    body = lines[2:] if len(lines) > 1 and re.fullmatch(r"[|:\-\s]+", lines[1]) else lines[1:]
    rows = [(cells + [""] * len(header))[:max(len(header), len(cells))]
            for cells in map(split_cells, body)]
    return _verdicts_apart(Block("table", header=header, rows=rows))


def _verdicts_apart(block: Block) -> Block:
    """A "verdict → adjusted" column as two, "verdict" and "adjusted verdict", each cell coloured
    by its own verdict (the Markdown joins them to stay narrow)."""
    if VERDICT_PAIR_HEADER not in block.header:
        return block
    at = block.header.index(VERDICT_PAIR_HEADER)
    block.header[at:at + 1] = ["verdict", "adjusted verdict"]
    for cells in block.rows:
        cells[at:at + 1] = split_verdict_pair(cells[at]) if at < len(cells) else []
    return block


_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])")


def inline(text: str, href=lambda target: target) -> str:
    """Inline Markdown as HTML: `code`, [links](x) (their target through `href`), **bold**,
    *italic*; everything else escaped."""
    codes = []

    def keep(match):
        codes.append(match.group(1))
        return f"\x00{len(codes) - 1}\x00"

    out = escape(_CODE.sub(keep, text), quote=False)
    out = _LINK.sub(lambda m: f'<a href="{escape(href(m.group(2)))}">{m.group(1)}</a>', out)
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(r"<em>\1</em>", out)
    return re.sub("\x00(\\d+)\x00", lambda m: f"<code>{escape(codes[int(m.group(1))])}</code>", out)


# ----- records behind the rows --------------------------------------------------------------

@dataclass
class RecordIndex:
    """(table, model, data set, label) -> the records of that row's configuration ([] when it
    has none yet), and where the page links them from."""
    rows: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)       # record key -> its file
    page_dir: Path = Path(".")
    note: str = ""                                  # why rows are not linked, if they are not
    results: str = ""                               # the records folder, as shown

    def lookup(self, table: str, model: str, dataset: str, shown_label: str):
        """The row's records, or None when no matrix row has that table, model, data set and
        label (the printed label may carry a " (λ=...)" or " ¹" note and marks, the data set
        " stand-in")."""
        dataset = dataset[:-len(STANDIN) - 1] if dataset.endswith(f" {STANDIN}") else dataset
        label = SHOWN_EXTRAS.sub("", shown_label)
        return self.rows.get((str(table), model, dataset, label))

    def link(self, record: dict) -> str:
        path = self.paths.get(record.get("key"))
        name = f"{record.get('key')}.json"
        if path is None:
            return escape(name)
        target = Path(os.path.relpath(path.resolve(), self.page_dir.resolve())).as_posix()
        return f'<a href="{escape(quote(target))}">{escape(name)}</a>'


def record_index(results: str | None, profile: str | None, matrix_path, page_dir: Path) -> RecordIndex:
    """The records of `results` (default: the profile's folder, as `python -m bench.aggregate`
    reads it) by the rows of `profile` in the matrix; an index with a note and no rows when
    the profile, the matrix or the records folder cannot be read."""
    if not profile or " and " in profile:
        return RecordIndex(page_dir=page_dir, note="the tables name no single profile: rows are not linked")
    try:
        from bench.experiment.matrix import expand, load_matrix, profile_folder   # torch, through the priors

        matrix = load_matrix(matrix_path)
        entries = expand(matrix, tables=list(matrix["tables"]), profile=profile, seeds=[0])
        folder = profile_folder(matrix, profile)
    except (OSError, ValueError) as exc:
        return RecordIndex(page_dir=page_dir, note=f"the matrix ({display_path(matrix_path)}) does not expand "
                                                   f"profile {profile!r} ({' '.join(str(exc).split())}): "
                                                   "rows are not linked")
    where = Path(results if results is not None else default_folders(None, None, folder)[0])
    if not where.is_dir():
        return RecordIndex(page_dir=page_dir, note=f"no records folder {where}: rows are not linked")
    groups = group_by_config(load_results(where), warn=lambda message: None)
    rows = {}
    for e in entries:
        rows.setdefault((str(e.table), e.model, e.dataset, e.label), groups.get(e.config_key, []))
    paths = {p.stem: p for p in sorted(where.glob("*.json"))}
    return RecordIndex(rows, paths, page_dir, results=display_path(where))


def records_cell(records, index: RecordIndex) -> str:
    """The cell linking a row's records: each file with its seed and status."""
    if records is None:
        return ('<td class="records muted" title="no matrix row of this profile has this table, '
                'model, data set and label">unmatched</td>')
    if not records:
        return '<td class="records muted">none</td>'
    def seed(record):
        value = record["spec"].get("seed")
        return (0, value, "") if isinstance(value, int) else (1, 0, str(value))

    items = "".join(f"<li>{index.link(r)} <span class=\"muted\">seed {escape(str(r['spec'].get('seed')))}, "
                    f"{escape(str(r.get('status')))}</span></li>" for r in sorted(records, key=seed))
    plural = "s" * (len(records) != 1)
    return (f'<td class="records"><details><summary>{len(records)} record{plural}</summary>'
            f"<ul>{items}</ul></details></td>")


# ----- the page -----------------------------------------------------------------------------

@dataclass
class Page:
    """What the sections share: the folder read, the record index, the profile note (shown once
    at the top, linked from every caption that repeats it) and what has been embedded."""
    folder: Path
    index: RecordIndex
    note: str = ""
    embedded: set = field(default_factory=set)
    tables: int = 0                 # HTML tables written
    linked: int = 0                 # rows linked to their records
    unmatched: list = field(default_factory=list)

    def href(self, target: str) -> str:
        """A Markdown link target, relative to the tables folder, made relative to the page."""
        if re.match(r"[a-z]+:|#|/", target):
            return target
        return Path(os.path.relpath((self.folder / target).resolve(), self.index.page_dir.resolve())).as_posix()


@dataclass
class Where:
    """The rows a table's cells do not name themselves: its table and its block."""
    source: str                     # the Markdown file
    table: str | None = None        # "1", "controls"
    model: str | None = None
    dataset: str | None = None
    link_rows: bool = True


_VERDICT_CLASS = {stats.REPRODUCED: "v-good", stats.NO_GAIN_AS_PUBLISHED: "v-good",
                  stats.LOSS_AS_PUBLISHED: "v-good", stats.SMALLER: "v-part", stats.LARGER: "v-part",
                  stats.RULED_OUT: "v-bad", stats.OPPOSITE: "v-bad", stats.WORSE_THAN_PUBLISHED: "v-bad",
                  stats.INCONCLUSIVE: "v-open", stats.NOT_RUN: "v-none", stats.TOO_FEW: "v-none",
                  stats.ZERO_SPREAD_VERDICT: "v-none", stats.UNSTABLE: "v-none"}


WRAP = 60         # a cell of more characters may wrap (the counts' meanings), others never do


def _cell(text: str, page: Page, tag: str = "td") -> str:
    css = _VERDICT_CLASS.get(stats.verdict_key(text)) or ("wrap" if len(text) > WRAP and tag == "td" else None)
    attr = f' class="{css}"' if css else ""
    return f"<{tag}{attr}>{inline(text, page.href)}</{tag}>"


def _row_key(header: list, cells: list, where: Where):
    def column(name, default):
        return cells[header.index(name)] if name in header else default
    key = (column("Table", where.table), column("Model", where.model), column("Data set", where.dataset),
           column("Configuration", None))
    return key if all(key) else None


def _linkable(header: list, where: Where, page: Page) -> bool:
    return (where.link_rows and not page.index.note and "Configuration" in header
            and all(name in header or value for name, value in
                    (("Table", where.table), ("Model", where.model), ("Data set", where.dataset))))


def table_html(block: Block, where: Where, page: Page) -> str:
    """A pipe table as an HTML table in a horizontally scrolling box; with a records column
    where its rows can be matched to the matrix (the main tables, the verdict rows)."""
    linkable = _linkable(block.header, where, page)
    head = "".join(_cell(h, page, "th") for h in block.header) + ("<th>records</th>" if linkable else "")
    body = []
    for cells in block.rows:
        extra, attr = "", ""
        key = _row_key(block.header, cells, where) if linkable else None
        if key:
            records = page.index.lookup(*key)
            extra = records_cell(records, page.index)
            attr = f' data-records="{UNMATCHED if records is None else len(records)}"'
            page.linked += records is not None
            if records is None:
                page.unmatched.append(" / ".join(key))
        elif linkable:
            extra = "<td></td>"
        body.append(f"<tr{attr}>" + "".join(_cell(c, page) for c in cells) + extra + "</tr>")
    page.tables += 1
    return (f'<div class="scroll"><table data-source="{escape(where.source)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
         ".svg": "image/svg+xml"}


def figure_html(src: str, alt: str, page: Page) -> str:
    """An image of the tables folder embedded as a data URI, with its alt text as caption; a
    note instead where the file is not there (never a broken image)."""
    path = page.folder / src
    mime = _MIME.get(path.suffix.lower())
    if "/" in src or "\\" in src or mime is None or not path.is_file():
        return f'<p class="missing">Figure {escape(src)} is not in {escape(display_path(page.folder))}.</p>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    page.embedded.add(src)
    return (f'<figure><img src="data:{mime};base64,{data}" alt="{escape(alt)}" data-source="{escape(src)}">'
            f"<figcaption>{inline(alt, page.href)}</figcaption></figure>")


_BLOCK_TITLE = re.compile(r"\*([^*]+) on ([^*]+)\*")


def blocks_html(blocks: list, where: Where, page: Page, heading_shift: int = 0) -> list[str]:
    """Markdown blocks as HTML; an italic "*Model on Data set*" line is a block title (the rows
    under it are that model's on that data set)."""
    out = []
    for block in blocks:
        title = _BLOCK_TITLE.fullmatch(block.text) if block.kind == "para" else None
        if block.kind == "table":
            out.append(table_html(block, where, page))
        elif block.kind == "image":
            out.append(figure_html(block.src, block.text, page))
        elif block.kind == "heading":
            level = min(6, block.level + heading_shift)
            out.append(f"<h{level}>{inline(block.text, page.href)}</h{level}>")
        elif block.kind == "list":
            items = "".join(f"<li>{inline(item, page.href)}</li>" for item in block.text.split("\n"))
            out.append(f"<ul>{items}</ul>")
        elif title:
            where.model, where.dataset = title.group(1), title.group(2)
            out.append(f'<h4 class="block">{escape(title.group(1))} on {escape(title.group(2))}</h4>')
        else:
            out.append(f"<p>{inline(block.text, page.href)}</p>")
    return out


def caption_html(text: str, page: Page) -> str:
    """A table's caption, the profile note it repeats replaced by a link to the top."""
    if page.note and page.note in text:
        parts = [inline(part, page.href) for part in text.split(page.note)]
        return '<p class="caption">' + '<a href="#profile">[the profile, described at the top]</a>'.join(parts) + "</p>"
    return f'<p class="caption">{inline(text, page.href)}</p>'


def note_html(text: str, page: Page) -> str:
    """A paragraph under a table's blocks: the profile note (shown once at the top, linked
    here), what the rows rest on (shown), or the legend (folded)."""
    if page.note and text == page.note:
        return ('<p class="caption">How the profile differs from the paper: '
                '<a href="#profile">described at the top</a>.</p>')
    if text.startswith(LEGEND_START):
        return (f'<details class="legend"><summary>How to read this table</summary>'
                f"<p>{inline(text, page.href)}</p></details>")
    return f'<p class="caption">{inline(text, page.href)}</p>'


def table_title(stem: str, blocks: list) -> str:
    first = blocks[0].text if blocks and blocks[0].kind == "para" else ""
    match = re.match(r"\*\*(Table [^*]+?)\.?\*\*", first)
    return match.group(1) if match else stem


def table_section(path: Path, page: Page) -> str:
    """One rendered table: caption, its blocks' tables (rows linked to their records), the
    legend (folded), the figures, and the detail (folded)."""
    blocks = parse_markdown(path.read_text(errors="replace"))
    stem = path.stem
    where = Where(path.name, table=TABLE_MD.fullmatch(path.name).group(1).lstrip("_"))
    detail = next((i for i, b in enumerate(blocks) if b.kind == "heading" and b.text.startswith("Detail")),
                  len(blocks))
    main, rest = blocks[:detail], blocks[detail:]
    out = [f'<section id="{escape(stem)}"><h2>{escape(table_title(stem, blocks))}</h2>']
    for i, block in enumerate(main):
        if i == 0 and block.kind == "para" and block.text.startswith("**Table"):
            out.append(caption_html(block.text, page))
        elif block.kind == "para" and not _BLOCK_TITLE.fullmatch(block.text):
            out.append(note_html(block.text, page))
        else:
            out += blocks_html([block], where, page)
    if rest:
        detail_where = Where(path.name, table=where.table, link_rows=False)
        out.append(f"<details class=\"detail\"><summary>{inline(rest[0].text, page.href)}</summary>"
                   + "".join(blocks_html(rest[1:], detail_where, page)) + "</details>")
    out.append("</section>")
    return "\n".join(out)


def split_sections(blocks: list) -> tuple[list, list]:
    """(the blocks before the first "##" heading, [(heading, its blocks), ...])."""
    preamble, sections = [], []
    for block in blocks:
        if block.kind == "heading" and block.level == 2:
            sections.append((block.text, []))
        elif sections:
            sections[-1][1].append(block)
        elif block.kind != "heading" or block.level > 1:
            preamble.append(block)
    return preamble, sections


def verdicts_section(path: Path, page: Page) -> str:
    """verdicts.md: its counts open, how rows are judged and every row folded."""
    if not path.is_file():
        return ('<section id="verdicts"><h2>Verdict summary</h2><p class="missing">verdicts.md is not in '
                f"{escape(display_path(page.folder))}.</p></section>")
    preamble, sections = split_sections(parse_markdown(path.read_text(errors="replace")))
    where = Where(path.name)
    out = ['<section id="verdicts"><h2>Verdict summary</h2>']
    rules = [b for b in preamble if not (b.kind == "para" and PROFILE_LINE.match(b.text))]
    for heading, blocks in sections:
        if heading == "Counts":
            out.append('<p class="muted">Rows of every table below by verdict, on each table\'s verdict metric '
                       '(from verdicts.md).</p>')
            out += blocks_html(blocks, where, page)
            if rules:
                out.append('<details class="legend"><summary>How rows are judged</summary>'
                           + "".join(blocks_html(rules, where, page)) + "</details>")
        else:
            out.append(f'<details class="detail"><summary>{inline(heading, page.href)}</summary>'
                       + "".join(blocks_html(blocks, Where(path.name), page)) + "</details>")
    out.append("</section>")
    return "\n".join(out)


_DATA = re.compile(r"Data: (.+?), (built from .+?Original\.)")


def data_statement(texts) -> str:
    """The stand-ins every table trained on, from the tables' "Data: X stand-in = name, ...
    built from ..." sentences (all their pairs, the first one's wording)."""
    pairs, tail = {}, ""
    for text in texts:
        match = _DATA.search(text)
        if match:
            for pair in match.group(1).split(", "):
                pairs.setdefault(pair.strip(), None)
            tail = tail or match.group(2)
    return f"Data: {', '.join(pairs)}, {tail}" if pairs else ""


def profile_section(profile: str | None, page: Page, paragraphs: list) -> str:
    """What the numbers are: the profile note (stand-ins and budget) and the data sentence."""
    name = f"<code>{escape(profile)}</code>" if profile else "not named by the tables"
    note = (f'<p class="note">{inline(page.note, page.href)}</p>' if page.note else
            '<p class="missing">verdicts.md states no profile note; each table below states its own.</p>')
    data = data_statement(paragraphs)
    records = (f"Each row links its records in <code>{escape(page.index.results)}</code>."
               if not page.index.note else escape(page.index.note[:1].upper() + page.index.note[1:]) + ".")
    return (f'<section id="profile"><h2>What these numbers are</h2><p>Profile {name}. ' + note
            + (f'<p class="note">{inline(data, page.href)}</p>' if data else "")
            + f'<p class="muted">Rendered by <code>python -m bench.aggregate</code> into '
              f"<code>{escape(display_path(page.folder))}</code>; this page shows that Markdown and its figures, "
              f"nothing recomputed. {records}</p></section>")


def budget_section(page: Page) -> str:
    figures = sorted(p.name for p in page.folder.glob("*budget*.png"))
    body = ("".join(figure_html(name, f"Gain by budget: {name}", page) for name in figures) if figures else
            f'<p class="muted">No gain-by-budget figure (<code>*budget*.png</code>) is in '
            f"<code>{escape(display_path(page.folder))}</code> yet.</p>")
    return f'<section id="budget"><h2>Gain by budget</h2>{body}</section>'


def other_figures_section(page: Page) -> str:
    """Any image of the folder no section showed, so that the page shows every figure."""
    rest = sorted(p.name for p in page.folder.iterdir() if p.suffix.lower() in _MIME and p.is_file()
                  and p.name not in page.embedded)
    if not rest:
        return ""
    return ('<section id="other-figures"><h2>Other figures in the folder</h2>'
            + "".join(figure_html(name, name, page) for name in rest) + "</section>")


def inconsistencies_section(path: Path, page: Page) -> str:
    if not path.is_file():
        return ""
    preamble, sections = split_sections(parse_markdown(path.read_text(errors="replace")))
    where = Where(path.name, link_rows=False)
    out = ['<section id="inconsistencies"><h2>Inconsistencies in the published numbers</h2>']
    out += blocks_html(preamble, where, page)
    for heading, blocks in sections:
        out.append(f"<h3>{inline(heading, page.href)}</h3>")
        out += blocks_html(blocks, where, page)
    return "\n".join(out + ["</section>"])


def table_files(folder: Path) -> list[Path]:
    """table1.md ... table11.md, then the extra tables (table_controls.md, ...) by name."""
    found = [p for p in folder.iterdir() if TABLE_MD.fullmatch(p.name) and p.is_file()]
    number = lambda p: TABLE_MD.fullmatch(p.name).group(1)         # noqa: E731
    return sorted(found, key=lambda p: (0, int(number(p)), "") if number(p).isdigit() else (1, 0, number(p)))


def profile_note(folder: Path) -> str:
    path = folder / "verdicts.md"
    if not path.is_file():
        return ""
    for block in parse_markdown(path.read_text(errors="replace")):
        match = PROFILE_LINE.match(block.text) if block.kind == "para" else None
        if match:
            return match.group(2).strip()
    return ""


CSS = """
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #eef1f4;
       font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
nav { position: sticky; top: 0; z-index: 1; background: #fff; border-bottom: 1px solid var(--line);
      padding: 8px 24px; font-size: 14px; line-height: 1.9; }
nav a { margin-right: 14px; white-space: nowrap; }
nav strong { margin-right: 10px; }
main { max-width: 1280px; margin: 0 auto; padding: 8px 32px 48px; background: #fff; min-height: 100vh; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 27px; line-height: 1.25; margin: 22px 0 6px; }
h2 { font-size: 21px; margin: 44px 0 10px; padding-top: 14px; border-top: 2px solid var(--line); }
h3 { font-size: 17px; margin: 22px 0 8px; }
h4.block { font-size: 15px; margin: 20px 0 4px; }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; background: var(--soft); padding: 1px 4px;
       border-radius: 4px; }
p { margin: 8px 0; }
.lede { color: var(--muted); margin-top: 0; }
.note { background: var(--soft); border-left: 4px solid var(--accent); padding: 10px 14px; }
.caption { font-size: 14px; }
.muted { color: var(--muted); }
.missing { color: #9a3412; }
.scroll { overflow-x: auto; width: fit-content; max-width: 100%; margin: 6px 0 16px;
          border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6eaef; text-align: left; vertical-align: top;
         white-space: nowrap; }
th { background: var(--soft); font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
tbody tr:hover { background: #f1f6fc; }
td.records details { margin: 0; }
td.records ul { margin: 4px 0; padding-left: 18px; }
td.wrap { white-space: normal; min-width: 28em; }
td.records summary { color: var(--accent); }
.v-good { background: #dcfce7; }
.v-part { background: #e0f2fe; }
.v-bad { background: #fee2e2; }
.v-open { background: #fef3c7; }
.v-none { color: var(--muted); }
details { margin: 8px 0; }
details > summary { cursor: pointer; color: var(--accent); }
details.legend p, details.detail p { font-size: 14px; }
figure { margin: 18px 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
footer { margin-top: 40px; font-size: 13px; color: var(--muted); }
"""


def nav_html(sections: list) -> str:
    links = " ".join(f'<a href="#{escape(anchor)}">{escape(label)}</a>' for anchor, label in sections)
    return f"<nav><strong>Contents</strong> {links}</nav>"


def build_page(folder: Path, index: RecordIndex, profile: str | None) -> tuple[str, Page]:
    """The whole page and what went into it."""
    page = Page(folder, index, note=profile_note(folder))
    tables = table_files(folder)
    texts = [t.read_text(errors="replace") for t in tables]
    paragraphs = [b.text for blocks in map(parse_markdown, texts) for b in blocks if b.kind == "para"]
    top = profile_section(profile, page, paragraphs) + verdicts_section(folder / "verdicts.md", page)
    body = [table_section(t, page) for t in tables]
    body.append(budget_section(page))
    body.append(inconsistencies_section(folder / "published_inconsistencies.md", page))
    body.append(other_figures_section(page))
    nav = [("profile", "Profile"), ("verdicts", "Verdicts")]
    nav += [(t.stem, f"Table {TABLE_MD.fullmatch(t.name).group(1).lstrip('_')}") for t in tables]
    nav += [("budget", "Gain by budget")]
    nav += [("inconsistencies", "Published inconsistencies")] * (folder / "published_inconsistencies.md").is_file()
    nav += [("other-figures", "Other figures")] * bool(body[-1])
    title = f"Random weight network as optimization function: reproduction report, profile {profile or '?'}"
    unmatched = (f" {len(page.unmatched)} row(s) match no matrix row: {escape('; '.join(page.unmatched[:10]))}"
                 f"{' ...' if len(page.unmatched) > 10 else ''}." if page.unmatched else "")
    footer = (f"<footer>{page.tables} tables and {len(page.embedded)} figures from "
              f"<code>{escape(display_path(folder))}</code>; {page.linked} rows linked to their records."
              f"{unmatched} Written by <code>python -m bench.report.html</code>.</footer>")
    html = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
            + nav_html(nav) + "<main>"
            + f"<h1>{escape(title)}</h1><p class=\"lede\">NeurIPS 2023, “Training Your Image Restoration "
              "Network Better with Random Weight Network as Optimization Function”: the paper's tables "
              "beside this profile's measurements.</p>"
            + top + "\n".join(body) + footer + "</main></body></html>\n")
    return html, page


def parse_html_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.report.html",
                                     description="One self-contained HTML page (report.html) of a tables folder.")
    parser.add_argument("--tables", required=True, help="a tables folder rendered by python -m bench.aggregate")
    parser.add_argument("--results", default=None,
                        help="the records behind it (default: the profile's folder, e.g. results/study)")
    parser.add_argument("--out", default=None, help=f"the page (default: <tables>/{PAGE})")
    parser.add_argument("--matrix", default=str(DEFAULT_MATRIX), help="experiment matrix (rows -> configurations)")
    return parser.parse_args(argv)


def check_folder(folder: Path) -> str | None:
    """The profile the folder's tables name (None if they name none); ReportError when there
    is nothing to show."""
    if not folder.exists():
        raise ReportError(f"--tables {folder} does not exist: nothing written")
    if not folder.is_dir():
        raise ReportError(f"--tables {folder} is not a folder: nothing written")
    if not table_files(folder) and not (folder / "verdicts.md").is_file():
        raise ReportError(f"{folder} holds no rendered tables (python -m bench.aggregate writes them): nothing written")
    return rendered_here(folder)[0]


def write_report(folder: Path, results, profile: str | None, matrix_path) -> Page:
    """Write <folder>/report.html from the tables just rendered there (python -m bench.aggregate
    calls this after its tables); OSError when it cannot be written."""
    index = record_index(results, profile, matrix_path, folder)
    html, page = build_page(folder, index, profile)
    write_text(folder / PAGE, html)
    return page


def main(argv=None) -> int:
    """Exit 0 when the page was written; 2 (one line) when there is nothing to show; 1 when
    the write failed."""
    args = parse_html_args(argv)
    folder = Path(args.tables)
    try:
        profile = check_folder(folder)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else folder / PAGE
    index = record_index(args.results, profile, args.matrix, out.parent)
    html, page = build_page(folder, index, profile)
    try:
        write_text(out, html)
    except OSError as exc:
        print(f"error: could not write {out}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({page.tables} tables, {len(page.embedded)} figures, {page.linked} rows linked to "
          f"their records{f'; {index.note}' if index.note else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m bench.report.html: the page of the committed tables/study is self-contained, opens from
file:// in headless Chromium without a console message, and shows every rendered table (one HTML
table per Markdown table of each .md), every figure of the folder (decoded, not broken) and each
row's records. Chromium: Debian's package (/usr/bin/chromium), which .ci/run installs; without it
the browser tests are skipped, saying so."""
import base64
import re
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from bench.report import html as report

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "tables" / "study"
RESULTS = ROOT / "results" / "study"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]
# a test-only probe appended to a copy of the page: the page has no script of its own
PROBE = ("<script>addEventListener('load', function () { var ok = 0; for (var i = 0; i < document.images.length; i++) {"
         " var img = document.images[i]; if (img.complete && img.naturalWidth > 0) ok++;"
         " else console.error('broken image ' + img.dataset.source); }"
         " document.body.setAttribute('data-images-decoded', ok); });</script>")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (Debian's chromium "
                                    "package; .ci/run installs it): the page is not opened in a browser")


def _snapshot(folder: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The page of tables/study written to a temporary folder; the tables stay as they were."""
    if not TABLES.is_dir() or not list(TABLES.glob("table*.md")):
        pytest.skip(f"{TABLES} holds no rendered tables")
    out = tmp_path_factory.mktemp("html") / "report.html"
    before = _snapshot(TABLES)
    assert report.main(["--tables", str(TABLES), "--results", str(RESULTS), "--out", str(out)]) == 0
    assert _snapshot(TABLES) == before            # read-only on the committed folder
    return out


class Dom(HTMLParser):
    """Every start tag with its attributes, and the attributes of <body>."""

    def __init__(self, text: str):
        super().__init__()
        self.tags = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict]:
        return [attrs for t, attrs in self.tags if t == tag]


def open_in_chromium(path: Path) -> tuple[Dom, list[str]]:
    """(the DOM after load, the console lines) of `path` opened from file://."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", path.as_uri()],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return Dom(done.stdout), [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def markdown_tables(path: Path) -> int:
    """Pipe tables in a Markdown file: header lines followed by a separator line."""
    lines = path.read_text().splitlines()
    return sum(1 for a, b in zip(lines, lines[1:])
               if a.startswith("|") and re.fullmatch(r"\|[-:| ]+\|", b.strip()))


def with_probe(page: Path, folder: Path, break_one: bool = False) -> Path:
    text = page.read_text()
    if break_one:       # the first image's PNG signature replaced: it cannot decode
        text = text.replace('src="data:image/png;base64,iVBOR', 'src="data:image/png;base64,AAAAA', 1)
    copy = folder / ("broken.html" if break_one else "probe.html")
    copy.write_text(text.replace("</body>", PROBE + "</body>"))
    return copy


def test_the_page_is_self_contained(page):
    text = page.read_text()
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", text)
    figures = {p.name for p in TABLES.glob("*.png")}
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="[^"]*" data-source="([^"]+)"', text)
    assert {name for _, name in images} == figures and len(images) == len(figures)
    for data, name in images:
        assert base64.b64decode(data) == (TABLES / name).read_bytes(), name
    assert 'id="budget"' in text and "Gain by budget" in text
    assert "No gain-by-budget figure" in text or re.search(r'data-source="[^"]*budget[^"]*\.png"', text)


@needs_chromium
def test_chromium_shows_every_table_and_figure_without_console_messages(page, tmp_path):
    dom, console = open_in_chromium(with_probe(page, tmp_path))
    assert console == []
    (body,) = dom.all("body")
    figures = sorted(p.name for p in TABLES.glob("*.png"))
    assert body.get("data-images-decoded") == str(len(figures))
    assert sorted(img["data-source"] for img in dom.all("img")) == figures
    shown = {}
    for table in dom.all("table"):
        shown[table["data-source"]] = shown.get(table["data-source"], 0) + 1
    expected = {p.name: markdown_tables(p) for p in TABLES.glob("*.md")}
    table_md = [name for name in expected if report.TABLE_MD.fullmatch(name)]
    assert len(table_md) >= 13 and all(expected[name] >= 1 for name in table_md)
    assert shown == {name: n for name, n in expected.items() if n}
    anchors = {a.get("id") for _, a in dom.tags}
    assert {"profile", "verdicts", "budget"} | {Path(n).stem for n in table_md} <= anchors
    nav = [a["href"] for a in dom.all("a") if a.get("href", "").startswith("#")]
    assert all(href[1:] in anchors for href in nav)


@needs_chromium
def test_the_console_check_sees_a_broken_figure(page, tmp_path):
    dom, console = open_in_chromium(with_probe(page, tmp_path, break_one=True))
    (body,) = dom.all("body")
    assert len(console) == 1 and "broken image" in console[0]
    assert body.get("data-images-decoded") == str(len(list(TABLES.glob("*.png"))) - 1)


def test_each_row_links_its_records(page):
    text = page.read_text()
    rows = re.findall(r'<tr data-records="([^"]+)">(.*?)</tr>', text)
    assert rows and not [cells for n, cells in rows if n == report.UNMATCHED]
    # a row with a measured interval has records; a row without any says "none"
    for n, cells in rows:
        assert (int(n) > 0) == ("<details>" in cells)
        if re.search(r"\[[-+]\d", cells):
            assert int(n) >= 2, cells[:200]
    links = re.findall(r'href="([^"#]+\.json)"', text)
    assert links
    for link in set(links):
        target = (page.parent / unquote(link)).resolve()
        assert target.parent == RESULTS.resolve() and target.is_file(), link


def test_a_missing_tables_folder_is_one_line(tmp_path, capsys):
    assert report.main(["--tables", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --tables") and "does not exist" in err
    assert not (tmp_path / "nowhere").exists()


def test_markdown_conversion():
    blocks = report.parse_markdown("**T 1.** a `x*y` *b*\n\n*M on D stand-in*\n\n"
                                   "| A | B |\n|---|---|\n| 1 | a \\| b |\n\n![alt](f.png)\n\n## H\n")
    assert [b.kind for b in blocks] == ["para", "para", "table", "image", "heading"]
    assert report.inline(blocks[0].text) == "<strong>T 1.</strong> a <code>x*y</code> <em>b</em>"
    assert blocks[2].header == ["A", "B"] and blocks[2].rows == [["1", "a | b"]]
    assert report.inline("<b> & [l](t.md)") == '&lt;b&gt; &amp; <a href="t.md">l</a>'
    index = report.RecordIndex(rows={("1", "DnCNN", "SIDD", "+Null"): []})
    assert index.lookup("1", "DnCNN", "SIDD stand-in", "+Null (λ=0.0001)") == []
    assert index.lookup("1", "DnCNN", "SIDD", "+Taylor") is None


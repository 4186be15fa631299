"""How wide a rendered booktabs tabular is on the page, without a TeX installation: each column's
width at \\footnotesize (8pt Computer Modern) from matplotlib's bundled cmr10 metrics, scaled to
cmr8 (whose glyphs are wider per em: digits 4.25pt at 8pt against cmr10's 4.0pt), plus the
column separation. A p{w} column is w wide, and each piece of it that cannot break (a word, an
\\mbox) must fit in w. Used by tests/test_aggregate.py."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib
from matplotlib.ft2font import FT2Font

SIZE = 8.0                       # \footnotesize in a 10pt document
CM8_SCALE = 1.0625               # cmr8 / (cmr10 at 8pt), from the digit widths
SPACE = 2.83                     # cmr8 interword space
PT_PER_CM = 72.27 / 2.54
# math symbols at 8pt (cmsy8 / cmmi8 / cmr8 widths, rounded up)
SYMBOLS = {"±": 6.7, "+": 6.7, "−": 6.7, "↑": 4.8, "↓": 4.8, "Δ": 6.9, "λ": 5.0, "–": 4.3,
           "†": 3.0, "‡": 3.0, "§": 3.0}        # the marks, as superscripts (cmsy6)
_LATEX = ((r"$\pm$", "±"), (r"$+$", "+"), (r"$-$", "−"), (r"$\Delta$", "Δ"), (r"$\uparrow$", "↑"),
          (r"$\downarrow$", "↓"), (r"$\lambda$", "λ"), (r"\%", "%"), (r"\_", "_"), (r"\&", "&"),
          (r"$^\dagger$", "†"), (r"$^\ddagger$", "‡"), (r"$^\S$", "§"), ("--", "–"))
NBSP, BREAK = "\x01", "\x00"     # a space that cannot break (inside \mbox); a break with no space

_font = None


def text_width(text: str) -> float:
    """Points, at \\footnotesize."""
    global _font
    if _font is None:
        _font = FT2Font(str(Path(matplotlib.get_data_path(), "fonts", "ttf", "cmr10.ttf")))
        _font.set_size(SIZE, 72)
    width = 0.0
    for ch in text:
        if ch in (" ", NBSP):
            width += SPACE
        elif ch in SYMBOLS:
            width += SYMBOLS[ch]
        elif ch != BREAK:
            width += _font.load_char(ord(ch)).linearHoriAdvance / 65536 * CM8_SCALE
    return width


def plain(cell: str) -> str:
    """A cell's LaTeX as the characters it prints; \\mbox's spaces cannot break."""
    for latex, char in _LATEX:
        cell = cell.replace(latex, char)
    cell = cell.replace(r"\allowbreak{}", BREAK)
    cell = re.sub(r"\\mbox\{([^{}]*)\}", lambda m: m.group(1).replace(" ", NBSP), cell)
    cell = re.sub(r"\\textit\{([^{}]*)\}", r"\1", cell)
    assert "\\" not in cell.replace(r"\newline", ""), f"unmeasured LaTeX in {cell!r}"
    return cell.strip()


def columns(spec: str) -> list:
    """A tabular spec's columns: a width in points for p{w}, else None (natural width)."""
    spec = re.sub(r"@\{\}|>\{[^{}]*\}", "", spec)
    out = []
    for kind, width in re.findall(r"p\{([\d.]+)cm\}|([lrc])", spec):
        out.append(float(kind) * PT_PER_CM if kind else None)
    return out


def tabular_width(tex: str, tabcolsep: float = 3.0) -> tuple[float, list[str]]:
    """(width in points, problems) of the one tabular or longtable in `tex`: problems name a p
    column piece that cannot fit its width."""
    spec = re.search(r"\\begin\{(?:tabular|longtable)\}\{(.*)\}\s*$", tex, re.M).group(1)
    widths = columns(spec)
    natural = [0.0] * len(widths)
    problems = []
    body = tex.split(r"\toprule", 1)[1].split(r"\bottomrule")[0]
    for line in body.splitlines():
        if not line.endswith(r"\\") or r"\multicolumn" in line:
            continue
        cells = line[:-2].split(" & ")
        assert len(cells) == len(widths), f"{len(cells)} cells for {len(widths)} columns: {line}"
        for i, cell in enumerate(cells):
            for piece in plain(cell).split(r"\newline"):
                if widths[i] is None:
                    natural[i] = max(natural[i], text_width(piece.strip()))
                    continue
                for word in re.split(f"[ {BREAK}]", piece.strip()):
                    if text_width(word) > widths[i] + 0.5:
                        problems.append(f"column {i + 1}: {word!r} is {text_width(word):.0f}pt > "
                                        f"{widths[i]:.0f}pt")
    total = sum(w if w is not None else n for w, n in zip(widths, natural))
    return total + 2 * tabcolsep * (len(widths) - 1), problems       # @{} at both ends

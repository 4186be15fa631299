"""Markdown text layout for the rendered tables: prose wrapped to a terminal's width, bullet lists
whose items wrap under their first line, and pipe tables padded only as wide as their widest cell.
Plain strings in, plain strings out; imports nothing of bench."""
from __future__ import annotations

import re

WIDTH = 100         # prose lines; table rows are as wide as their cells (render.py keeps them narrow)

ARROW = " → "                               # "ruled out → inconclusive": a verdict, then the adjusted one
VERDICT_PAIR_HEADER = f"verdict{ARROW}adjusted"

# a word that would turn a wrapped line into a list item, heading, quote, table row or image
_BLOCK_START = re.compile(r"[-+*>=]|#.*|\|.*|!\[.*|\d+[.)]")


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "") -> list[str]:
    """`text` in lines of at most `width` characters (a longer word stands alone), the first
    prefixed by `first`, the others by `rest`; no line starts with a word that Markdown would
    read as the start of another block ("- 0.05/m" stays on the line before)."""
    lines, line = [], first
    for word in text.split():
        fresh = line == first
        if not fresh and len(line) + 1 + len(word) > width and not _BLOCK_START.fullmatch(word):
            lines.append(line)
            line, fresh = rest, True
        line += word if fresh else f" {word}"
    return lines + [line] if line.strip() else lines


def paragraph(text: str, width: int = WIDTH) -> str:
    return "\n".join(wrap(text, width))


def bullets(items, width: int = WIDTH) -> list[str]:
    """A "- " line per item, its continuation lines indented by two spaces."""
    return [line for item in items for line in wrap(item, width, first="- ", rest="  ")]


def pipe_table(rows, headers) -> str:
    """A GitHub pipe table: each column as wide as its widest cell, one space either side."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]

    def line(cells) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(cells) for cells in rows)])


def verdict_pair(verdict: str, adjusted: str | None) -> str:
    """One cell for two verdicts: "ruled out → inconclusive", or one where they agree."""
    return verdict if adjusted in (None, verdict) else f"{verdict}{ARROW}{adjusted}"


def split_verdict_pair(text: str) -> tuple[str, str]:
    """(verdict, adjusted verdict) of a verdict_pair cell."""
    verdict, _, adjusted = text.partition(ARROW)
    return verdict, adjusted or verdict

"""The one error type of the data package and its one-line message format."""
from __future__ import annotations

from pathlib import Path

# Where each real set is published (named in every error about it).
SOURCES = {
    "sidd": "https://www.eecs.yorku.ca/~kamel/sidd/",
    "lol": "https://daooshee.github.io/BMVC2018website/",
    "wv2": "the PanCollection release (https://github.com/liangjiandeng/PanCollection) "
           "or the INNformer/SFINet repositories' WV2_data",
    "gf2": "the PanCollection release (https://github.com/liangjiandeng/PanCollection) "
           "or the INNformer/SFINet repositories' GF2_data",
}


class DatasetError(ValueError):
    """A missing, malformed or misconfigured data set (always a single line)."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def layout_error(name: str, path, problem: str, layout: str) -> DatasetError:
    """The standard message: what is wrong, where we looked, what we expected, where to get it."""
    where = Path(path) if path is not None else "<no root given>"
    source = SOURCES.get(name)
    tail = f"; published at {source}" if source else ""
    return DatasetError(f"{name}: {problem} at {where}; expected layout: {layout}{tail}")


class Layout:
    """A data set's name and the layout it expects, for building its error messages."""

    def __init__(self, name: str, text: str):
        self.name, self.text = name, text

    def error(self, path, problem: str) -> DatasetError:
        return layout_error(self.name, path, problem, self.text)

"""Where each real data set lives under ``--data-root``.

``--data-root DIR`` names a folder of data sets: ``sidd`` is looked for in ``DIR/SIDD`` (or
``DIR/sidd``), ``lol`` in ``DIR/LOL``, ``wv2`` / ``gf2`` in ``DIR`` itself (their loaders accept
the parent of ``WV2_data`` / ``GF2_data``) or ``DIR/WV2`` / ``DIR/GF2``. ``--data-root name=DIR``
(repeatable) points one set at its own folder. Embedded sets need no root.
"""
from __future__ import annotations

from pathlib import Path

SUBFOLDERS = {"sidd": ("SIDD", "sidd"), "lol": ("LOL", "lol"), "wv2": ("WV2", "wv2"), "gf2": ("GF2", "gf2")}


def parse_roots(values) -> dict:
    """``["DIR", "sidd=/x"]`` -> ``{"*": "DIR", "sidd": "/x"}``; raises ValueError on a bad entry."""
    roots = {}
    for value in values or []:
        name, sep, folder = value.partition("=")
        key, folder = (name, folder) if sep else ("*", value)
        if sep and name not in SUBFOLDERS:
            raise ValueError(f"--data-root {value!r}: unknown data set {name!r}; expected one of "
                             f"{', '.join(SUBFOLDERS)} (as name=DIR) or a plain folder")
        if key in roots:
            raise ValueError(f"--data-root given twice for {'the collection' if key == '*' else key}")
        roots[key] = folder
    return roots


def root_for(roots: dict, dataset: str):
    """The folder to hand to ``data.get_dataset`` for ``dataset`` (None for embedded sets)."""
    if dataset in roots:
        return roots[dataset]
    collection = roots.get("*")
    if collection is None or dataset not in SUBFOLDERS:
        return collection
    for sub in SUBFOLDERS[dataset]:
        if (Path(collection) / sub).is_dir():
            return str(Path(collection) / sub)
    return collection

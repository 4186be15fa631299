"""The photographs' licences are declared per file, machine-readably (REUSE.toml, REUSE
specification 3.x), and agree with data/photos/sources.csv and with the package files they were
read from (vendored in data/photos/licenses/): every photograph is named by exactly one
annotation, every licence used has its text under LICENSES/, and the KDE rows name the real
image file, not one of the symlinks beside it. Parsed with the standard library only."""
from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO / "data" / "photos"
VENDORED = PHOTOS / "licenses"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
# the packages' licence names as SPDX identifiers (DEP-5 "GPL-2+": "version 2 ... or (at your
# option) any later version"; plasma's metadata.json "LGPLv3", no "or later")
SPDX = {"GPL-2+": "GPL-2.0-or-later", "LGPLv3": "LGPL-3.0-only"}
# SPDX identifiers this repository may use; anything else must be a LicenseRef-
KNOWN_SPDX = {"MIT", "Apache-2.0", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only",
              "GPL-3.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only",
              "LGPL-3.0-or-later", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
              "CC0-1.0"}
KDE = "plasma-workspace-wallpapers"


def _rows() -> list[dict]:
    with open(PHOTOS / "sources.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _annotations() -> list[dict]:
    with open(REPO / "REUSE.toml", "rb") as f:
        toml = tomllib.load(f)
    assert toml["version"] == 1
    return toml["annotations"]


def _list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _glob(pattern: str) -> re.Pattern:
    """REUSE.toml's matching: `*` anything but a slash, `**` anything."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _declaration(rel: str, annotations: list[dict]) -> dict | None:
    """The annotation that applies to `rel`: the last one matching it."""
    for annotation in reversed(annotations):
        if any(_glob(p).match(rel) for p in _list(annotation["path"])):
            return annotation
    return None


def _photos() -> list[Path]:
    return sorted(p for p in PHOTOS.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _licence_ids(expression: str) -> set[str]:
    return {t for t in re.split(r"[()\s]+", expression) if t and t not in {"AND", "OR", "WITH"}}


def _dep5_stanza(text: str, key: str) -> dict:
    for stanza in text.split("\n\n"):
        fields = dict(re.findall(r"^(\w[\w-]*):(.*(?:\n[ \t].*)*)", stanza, re.M))
        if key in fields.get("Files", "").split():
            return fields
    raise AssertionError(f"no copyright stanza lists {key}")


def test_every_photograph_has_exactly_one_licence_declaration():
    annotations, rows = _annotations(), _rows()
    photos = _photos()
    assert {p.stem for p in photos} == {r["name"] for r in rows} and len(photos) == len(rows)
    for photo in photos:
        rel = photo.relative_to(REPO).as_posix()
        naming = [a for a in annotations if rel in _list(a["path"])]
        assert len(naming) == 1, f"{rel}: named by {len(naming)} annotations of REUSE.toml"
        assert _declaration(rel, annotations) is naming[0], f"{rel}: a later glob overrides it"
        assert not photo.with_name(photo.name + ".license").exists(), f"{rel}: also a sidecar"
        assert naming[0]["SPDX-FileCopyrightText"] and naming[0]["SPDX-License-Identifier"]


def test_every_licence_used_has_its_text_under_LICENSES():
    used = set().union(*(_licence_ids(a["SPDX-License-Identifier"]) for a in _annotations()))
    for licence in used:
        assert licence in KNOWN_SPDX or licence.startswith("LicenseRef-"), \
            f"{licence}: not an SPDX identifier (the packages' names: {SPDX})"
        text = REPO / "LICENSES" / f"{licence}.txt"
        assert text.is_file() and text.stat().st_size > 100, f"no text for {licence}"
    assert {p.stem for p in (REPO / "LICENSES").glob("*.txt")} == used, "an unused licence text"


def test_sources_csv_and_reuse_toml_agree_on_holder_and_licence():
    annotations = _annotations()
    for row in _rows():
        declared = _declaration(f"data/photos/{row['name']}.png", annotations)
        assert declared["SPDX-License-Identifier"] == row["license"], row["name"]
        assert _list(declared["SPDX-FileCopyrightText"]) == row["holder"].split("; "), row["name"]


@pytest.mark.parametrize("row", [r for r in _rows() if r["package"] == KDE], ids=lambda r: r["name"])
def test_kde_rows_name_the_real_image_and_its_vendored_metadata(row):
    wallpaper = row["source"].split("/")[3]
    folder = f"usr/share/wallpapers/{wallpaper}"
    # each real rendering is named by its pixel size; 1920x1080.jpg and the other sizes are
    # symlinks to the largest (2560x1600.jpg), so a source whose name is not the original size
    # names a symlink
    assert row["source"] == f"{folder}/contents/images/{row['original']}.jpg"
    assert row["license_source"] == f"{folder}/metadata.json"
    plugin = json.loads((VENDORED / KDE / wallpaper / "metadata.json").read_text("utf-8"))["KPlugin"]
    author = plugin["Authors"][0]
    holder = author["Name"] + (f" <{author['Email']}>" if author.get("Email") else "")
    assert row["holder"] == holder
    assert row["license"] == SPDX.get(plugin["License"], plugin["License"])


def test_kde_metadata_vendored_for_exactly_the_kde_rows():
    wallpapers = {r["source"].split("/")[3] for r in _rows() if r["package"] == KDE}
    assert {p.parent.name for p in (VENDORED / KDE).glob("*/metadata.json")} == wallpapers


@pytest.mark.parametrize("row", [r for r in _rows() if r["package"] != KDE], ids=lambda r: r["name"])
def test_debian_rows_match_their_copyright_stanza(row):
    package = row["package"]
    assert row["license_source"] == f"usr/share/doc/{package}/copyright"
    if package == "mate-backgrounds":
        vendored, key = "mate-backgrounds.copyright", row["source"].split("/mate/")[-1]
    else:   # lomiri-wallpapers-16.04 and -20.04 ship the same copyright file
        vendored = "lomiri-wallpapers.copyright"
        key = f"{package.split('-')[-1]}/{Path(row['source']).name}"
    fields = _dep5_stanza((VENDORED / vendored).read_text("utf-8"), key)
    holders = [" ".join(line.split()).rstrip("\u00b4 ") for line in fields["Copyright"].splitlines()]
    assert row["holder"].split("; ") == [h for h in holders if h]
    licence = fields["License"].split()[0]
    assert row["license"] == SPDX.get(licence, licence)


def test_each_photo_licence_text_is_vendored_beside_the_photographs():
    """What a copy of data/photos/ alone must carry: each licence's text."""
    lomiri = (VENDORED / "lomiri-wallpapers.copyright").read_text("utf-8")
    texts = {"GPL-2.0-or-later": ["GPL-2"], "LGPL-3.0-only": ["LGPL-3", "GPL-3"],
             "CC0-1.0": ["CC0-1.0"]}
    for licence in {r["license"] for r in _rows()}:
        if licence.startswith("CC-BY"):
            assert re.search(rf"^License: {re.escape(licence)}\n (Attribution|\.)", lomiri, re.M), licence
        else:
            assert all((VENDORED / name).is_file() for name in texts[licence]), licence

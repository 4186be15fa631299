"""Rebuild the vendored photographs of data/photos/ from Debian's wallpaper packages.

Not used at run time (the PNGs and sources.csv are committed); kept so the curation can be
checked and redone. Usage, on a Debian 12 machine:

    mkdir /tmp/wall && cd /tmp/wall
    apt-get download mate-backgrounds plasma-workspace-wallpapers lomiri-wallpapers-16.04 \
        lomiri-wallpapers-20.04
    for f in *.deb; do dpkg-deb -x "$f" x; done
    python data/photos/vendor.py /tmp/wall/x

Curation: photographs only (no logos, no drawn or rendered art, no near-uniform textures),
picked by eye from the packages' contact sheets. Each is converted to RGB and resized with
PIL's Lanczos filter so that its longer side is LONGER_SIDE pixels; the smallest downscale
factor is 3.3 (mate GreenMeadow, 1280 px), so every source JPEG's 8x8 blocks shrink to at
most 2.4 px and its artefacts with them. Stored as 8-bit PNG (lossless from here on).

Licences: mate and lomiri declare holder and licence per file in the package's DEP-5 copyright
file; plasma declares them per wallpaper in its metadata.json (the package's copyright file says
GPL-2+ for all files), which is copied to licenses/plasma-workspace-wallpapers/<wallpaper>/.
sources.csv gives them as SPDX identifiers (`license`) with the file that declares them
(`license_source`, a path inside the package); several holders are separated by "; ".
REUSE.toml at the repository root repeats holder and licence per photograph.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from pathlib import Path

from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # some wallpapers are 5120x2880 and larger

LONGER_SIDE = 384
HERE = Path(__file__).resolve().parent

MATE = "usr/share/backgrounds/mate/nature"
PLASMA = "usr/share/wallpapers"
LOMIRI16 = "usr/share/backgrounds"
# the licence names the packages use, as SPDX identifiers: DEP-5 "GPL-2+" is "either version 2
# of the License, or (at your option) any later version"; plasma's metadata.json says "LGPLv3"
# with no "or later"; the CC names are SPDX already
SPDX = {"GPL-2+": "GPL-2.0-or-later", "LGPLv3": "LGPL-3.0-only"}
# (stored name, Debian package, file or wallpaper folder inside the package)
CURATED = (
    [(f"mate_{n.lower()}", "mate-backgrounds", f"{MATE}/{n}.jpg") for n in
     ("Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops",
      "Storm", "TwoWings", "Wood", "YellowFlower")]
    + [(f"kde_{n.lower()}", "plasma-workspace-wallpapers", f"{PLASMA}/{n}") for n in
       ("BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf",
        "Grey", "OneStandsOut", "Path", "Volna", "summer_1am")]
    + [(f"lomiri_{n.split('_by_')[0].lower()}", "lomiri-wallpapers-16.04", f"{LOMIRI16}/{n}.jpg")
       for n in ("Bridge_by_Sander_Klootwijk", "Dragonfly_by_Bolly", "Picture_0B_by_freespace",
                 "Picture_1A_by_freespace", "Wine_by_Jakkub_Mede",
                 "aitzgorri_by_Aitzol_Berasategi", "free_by_Peter_Nerlich",
                 "friends_by_Aitzol_Berasategi", "greentock_by_Peter_Nerlich",
                 "life_by_Aitzol_Berasategi", "picosdeeuropa_by_Aitzol_Berasategi",
                 "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi")]
    + [("lomiri_kleiber", "lomiri-wallpapers-20.04", f"{LOMIRI16}/Kleiber_by_Lukas_Baubkus.jpg")]
)


def source_file(root: Path, package: str, inside: str) -> Path:
    path = root / inside
    if package == "plasma-workspace-wallpapers":   # the largest rendering of the wallpaper
        # the other sizes are symlinks to it (1920x1080.jpg -> 2560x1600.jpg); a real file is
        # named by its own pixel size
        files = [p for p in (path / "contents" / "images").iterdir() if not p.is_symlink()]
        return max(files, key=lambda p: p.stat().st_size)
    return path


def declared_licence(root: Path, package: str, inside: str) -> tuple[str, str, str]:
    """(copyright holder(s), SPDX licence, the package file declaring them) of one file: the
    package's machine-readable (DEP-5) copyright file, or for plasma the wallpaper's
    metadata.json (author and licence of the wallpaper)."""
    if package == "plasma-workspace-wallpapers":
        declared = f"{inside}/metadata.json"
        plugin = json.loads((root / declared).read_text())["KPlugin"]
        author = plugin["Authors"][0]
        holder = author["Name"] + (f" <{author['Email']}>" if author.get("Email") else "")
        return holder, SPDX.get(plugin["License"], plugin["License"]), declared
    declared = f"usr/share/doc/{package}/copyright"
    text = (root / declared).read_text()
    key = inside.split("/backgrounds/")[-1].replace("mate/", "")
    key = key if package == "mate-backgrounds" else f"{package.split('-')[-1]}/{Path(inside).name}"
    for stanza in text.split("\n\n"):     # DEP-5: a Files field may list several files
        fields = dict(re.findall(r"^(\w[\w-]*):(.*(?:\n[ \t].*)*)", stanza, re.M))
        if key in fields.get("Files", "").split():
            lines = [" ".join(line.split()).rstrip("\u00b4 ")
                     for line in fields["Copyright"].splitlines()]
            licence = fields["License"].split()[0]
            return "; ".join(line for line in lines if line), SPDX.get(licence, licence), declared
    raise SystemExit(f"{package}: no copyright stanza for {key}")


def main(root: Path) -> None:
    rows = []
    for name, package, inside in CURATED:
        src = source_file(root, package, inside)
        image = Image.open(src).convert("RGB")
        w, h = image.size
        factor = max(w, h) / LONGER_SIDE
        image = image.resize((round(w / factor), round(h / factor)), Image.LANCZOS)
        image.save(HERE / f"{name}.png", optimize=True)
        holder, licence, declared = declared_licence(root, package, inside)
        if package == "plasma-workspace-wallpapers":
            vendored = HERE / "licenses" / package / Path(inside).name
            vendored.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / declared, vendored / "metadata.json")
        rows.append({"name": name, "package": package, "source": str(src.relative_to(root)),
                     "holder": holder, "license": licence, "license_source": declared,
                     "original": f"{w}x{h}",
                     "stored": f"{image.size[0]}x{image.size[1]}", "downscale": f"{factor:.2f}"})
    with open(HERE / "sources.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} photographs written to {HERE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Rebuild the vendored photographs of data/photos/ from Debian's wallpaper packages.

Not used at run time (the PNGs and manifest.csv are committed); kept so the curation can be
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
"""
from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # some wallpapers are 5120x2880 and larger

LONGER_SIDE = 384
HERE = Path(__file__).resolve().parent

MATE = "usr/share/backgrounds/mate/nature"
PLASMA = "usr/share/wallpapers"
LOMIRI16 = "usr/share/backgrounds"
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
        return max((path / "contents" / "images").iterdir(), key=lambda p: p.stat().st_size)
    return path


def debian_copyright(root: Path, package: str, inside: str) -> tuple[str, str]:
    """(copyright holder, licence) of one file from the package's machine-readable copyright
    file; plasma's wallpapers name author and licence in their metadata.json instead."""
    if package == "plasma-workspace-wallpapers":
        plugin = json.loads((root / inside / "metadata.json").read_text())["KPlugin"]
        return plugin["Authors"][0]["Name"], plugin["License"]
    text = (root / f"usr/share/doc/{package}/copyright").read_text()
    key = inside.split("/backgrounds/")[-1].replace("mate/", "")
    key = key if package == "mate-backgrounds" else f"{package.split('-')[-1]}/{Path(inside).name}"
    for stanza in text.split("\n\n"):     # DEP-5: a Files field may list several files
        fields = dict(re.findall(r"^(\w[\w-]*):(.*(?:\n[ \t].*)*)", stanza, re.M))
        if key in fields.get("Files", "").split():
            holder = " ".join(fields["Copyright"].split())
            return holder.rstrip("\u00b4 "), fields["License"].split()[0]
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
        holder, licence = debian_copyright(root, package, inside)
        rows.append({"name": name, "package": package, "source": str(src.relative_to(root)),
                     "holder": holder, "license": licence, "original": f"{w}x{h}",
                     "stored": f"{image.size[0]}x{image.size[1]}", "downscale": f"{factor:.2f}"})
    with open(HERE / "sources.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} photographs written to {HERE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

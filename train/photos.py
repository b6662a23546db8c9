"""Digit-free photographs from the distribution's desktop backgrounds: ``python -m digitcam.train.photos DIR``.

The training scenes' backdrops were 14 photographs that ship with scikit-image, and a model that
has seen so few calls a flower's stamen, a rocket's gantry or a pattern of rings a digit. Linux
distributions package hundreds of megabytes of photographs and artwork as desktop backgrounds,
under free licences, from the same registry as everything else this project installs. This
fetches six such packages with ``apt-get download`` (nothing is installed), unpacks them, and
writes every usable picture, its longer side at most 1600 px, into two folders:

* ``DIR/train``: backdrops for ``digitcam train --backdrops DIR/train``;
* ``DIR/held_out``: never trained on; ``digitcam eval --negatives DIR/held_out`` counts the false
  digits read on them.

``python -m digitcam.train.photos DIR --fresh`` writes ``DIR/fresh`` instead, from three other
packages (:data:`FRESH_PACKAGES`: KDE's wallpapers, mypaint's paper and canvas textures, sway's
background), one picture a wallpaper (its largest): 48 digit-free pictures that no model was
trained on and no threshold of the engine was chosen on, to check a change on.

The split is fixed by name (:data:`HELD_OUT`), so every machine makes the same two folders; the
dark and light variants of one pattern go to the same side. Pictures that hold text or digits,
duplicates at other sizes and plain single-colour ones are left out (:data:`LEFT_OUT`, and any
picture whose grey levels hardly vary). None of them is committed to this repository.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

from digitcam.images import is_image_path
from digitcam.train.scenes import shrunk

PACKAGES = ("gnome-backgrounds", "mate-backgrounds", "ukui-wallpapers", "lomiri-wallpapers",
            "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04")
SIDE = 1600
# text or a logo with digits on it, the same picture at other sizes, a transparent overlay
LEFT_OUT = ("focal-ubuntukylin", "GreenTraditional", "Elephants_3840x2160", "Elephants_5640x3172",
            "Arc-Colors-Transparent-Wallpaper")
FRESH_PACKAGES = ("plasma-workspace-wallpapers", "mypaint-data-extras", "sway-backgrounds")
PLAIN_STD = 1.0   # grey levels: a picture varying less than this is one plain colour, nothing to learn from
HELD_OUT = ("Bridge_by_Sander_Klootwijk", "Fossa_by_Jasper_Roks", "Kleiber_by_Lukas_Baubkus", "Picture_0B_by_freespace",
            "Wine_by_Jakkub_Mede", "analogpattern_by_Peter_Nerlich", "city", "firstgeneration", "free_by_Peter_Nerlich",
            "adwaita-d", "adwaita-l", "licorice-d", "licorice-l", "symbolic-d", "symbolic-l", "wood-d", "wood-l",
            "goldfish", "life_by_Aitzol_Berasategi", "Elephants", "Gulp", "Stripes", "Blinds", "FreshFlower",
            "GreenMeadow", "RainDrops", "TwoWings", "YellowFlower", "rhythm", "seeding_by_Clements_Engelhardt",
            "sunset_by_Aitzol_Berasategi", "umang_by_Abhishek_Mudgal")


def fetch(debs: Path, packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    """``apt-get download`` the packages into ``debs``; the .deb files."""
    debs.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", *packages], cwd=debs, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise SystemExit("apt-get not found: this needs a Debian or Ubuntu machine (or unpack the packages "
                         f"{', '.join(packages)} yourself and pass their pictures to --backdrops)") from None
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["?"]
        raise SystemExit(f"apt-get download failed ({last[0]}); run apt-get update first") from None
    return sorted(debs.glob("*.deb"))


def pictures(root: Path) -> list[Path]:
    """Every picture under ``root`` worth keeping, sorted by name (see the module docstring)."""
    out = []
    for path in sorted(root.rglob("*")):
        if is_image_path(path) and path.stem not in LEFT_OUT and path.is_file():
            out.append(path)
    return out


def _save(path: Path, dest: Path) -> bool:
    """A copy of the picture at ``path``, its longer side at most SIDE, as the JPEG ``dest``;
    False (and nothing written) for an unreadable or plain single-colour picture."""
    im = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if im is None or float(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY).std()) < PLAIN_STD:
        return False
    cv2.imwrite(str(dest), shrunk(im, SIDE), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return True


def write(paths: list[Path], out: Path) -> dict[str, int]:
    """Shrunk copies of ``paths`` into ``out/train`` and ``out/held_out``; how many went to each."""
    counts = {"train": 0, "held_out": 0}
    for side in counts:
        (out / side).mkdir(parents=True, exist_ok=True)
    for path in paths:
        side = "held_out" if path.stem in HELD_OUT else "train"
        counts[side] += _save(path, out / side / f"{path.stem}.jpg")
    return counts


def _folder_name(path: Path) -> str | None:
    """The wallpaper a KDE picture belongs to (``wallpapers/NAME/contents/images/WxH.jpg``)."""
    parts = path.parts
    return parts[parts.index("wallpapers") + 1] if "wallpapers" in parts else None


def largest_each(paths: list[Path]) -> list[Path]:
    """One picture a wallpaper: a KDE wallpaper is a folder of sizes, sway's a name with its
    size in it; the largest file of each is kept."""
    best: dict[str, Path] = {}
    for path in paths:
        if "screenshot" in path.name.lower():
            continue
        key = _folder_name(path) or re.sub(r"_\d+x\d+(_Portrait)?$", "", path.stem)
        if key not in best or path.stat().st_size > best[key].stat().st_size:
            best[key] = path
    return [best[k] for k in sorted(best)]


def write_fresh(paths: list[Path], out: Path) -> int:
    """Shrunk copies of ``paths`` into ``out/fresh``, named for their wallpaper; how many."""
    (out / "fresh").mkdir(parents=True, exist_ok=True)
    return sum(_save(path, out / "fresh" / f"{(_folder_name(path) or path.stem).replace(' ', '_')}.jpg")
               for path in largest_each(paths))


def _unpacked(tmp: Path, packages: tuple[str, ...]) -> Path:
    """The packages downloaded and unpacked under ``tmp``; the root of their files."""
    for deb in fetch(tmp / "debs", packages):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "root")], check=True)
    return tmp / "root"


def main(argv: list[str]) -> int:
    fresh = "--fresh" in argv
    argv = [a for a in argv if a != "--fresh"]
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python -m digitcam.train.photos DIR [--fresh]   (writes DIR/train and DIR/held_out; "
              "--fresh: DIR/fresh)", file=sys.stderr)
        return 2
    out = Path(argv[0])
    if fresh:
        (out / "fresh").mkdir(parents=True, exist_ok=True)   # before a 100 MB download, not after it
        with tempfile.TemporaryDirectory() as tmp:
            root = _unpacked(Path(tmp), FRESH_PACKAGES)
            n = write_fresh([p for p in sorted(root.rglob("*")) if is_image_path(p) and p.is_file()], out)
        print(f"wrote {n} digit-free pictures to {out / 'fresh'}")
        return 0
    for side in ("train", "held_out"):   # before a 130 MB download, not after it
        (out / side).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        counts = write(pictures(_unpacked(Path(tmp), PACKAGES)), out)
    print(f"wrote {counts['train']} photographs to {out / 'train'} and {counts['held_out']} to {out / 'held_out'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except OSError as exc:
        print(f"cannot write the photographs: {exc.strerror} ({exc.filename}); choose another DIR", file=sys.stderr)
        sys.exit(2)

"""Labelled frames of pages held up to a camera, for ``digitcam eval --labels``:
``python -m digitcam.train.heldup DIR --data mnist.npz``.

Each frame is a page of 24 MNIST *test* digits (never trained on) in rows, on plain, ruled or
squared paper in turn, held up in front of floorboards or fabric (or a bright wall): turned a
little, in perspective, shrunk as a lens shrinks it (``digitcam.synth.held_up_page``). The folder gets the
frames as PNG and a ``manifest.json`` in the dev set's layout, one kind per paper
(``held_up_plain``, ``held_up_ruled``, ``held_up_squared``), so that ``digitcam eval`` measures
them per kind, and ``--blur`` and ``--jpeg`` make them a webcam's:

    python -m digitcam.train.heldup frames/ --data ../shared/data/mnist.npz --size 640x480
    digitcam eval --labels frames/manifest.json --blur 1 --jpeg 60

``--light 0.45`` renders a dim room (the frame under half as bright, with a camera's noise),
``--lean 20`` pages held turned 20 degrees (one way and the other in turn), ``--backdrop wall``
pages held up in front of a bright wall instead of floorboards and fabric, ``--recline 60`` pages
whose top leans 60 degrees away from the camera (a sheet lying on the desk before a webcam: its
digits foreshortened to half their height), and ``--lower 0.3 --fill 0.9,1.05`` with it a larger
sheet lower in the frame, its near edge (and often a side) out of view.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

from digitcam.synth import fabric, held_up_page, render_scene, wall, wood

PAPERS = ("plain", "ruled", "squared")
BACKDROPS = {"clutter": (wood, fabric), "wall": (wall,)}   # behind the page, in turn


def held_up_frame(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, k: int,
                  size: tuple[int, int] = (720, 1280), light: float = 1.0, lean: float = 0.0,
                  backdrop: str = "clutter", recline: float = 0.0, lower: float = 0.0,
                  fill: tuple[float, float] = (0.55, 0.8)) -> tuple[np.ndarray, list, str]:
    """Frame ``k`` of a set: (BGR image, boxes [x, y, w, h, label], paper). ``lean``: degrees the
    page is held turned, one way and the other in turn; ``backdrop``: one of BACKDROPS;
    ``recline``: degrees its top leans away from the camera; ``lower``, ``fill``: where and how
    large it shows (digitcam.synth.held_up_page: only the digits in view are labelled)."""
    idx = rng.integers(0, len(x), 24)
    paper = PAPERS[k % len(PAPERS)]
    page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=24, height=(34, 52), noise=2.0, paper=paper)
    backs = BACKDROPS[backdrop]
    scene = held_up_page(page, backs[k % len(backs)](*size, rng), rng, lean=lean * (-1) ** k,
                         recline=recline, lower=lower, fill=fill)
    image = scene.image
    if light < 1.0:
        image = np.clip(image * light + rng.normal(0, 4, image.shape), 0, 255).astype(np.uint8)
    return image, [[int(v) for v in b] for b in scene.boxes], paper


def write_held_up(folder: Path, x: np.ndarray, y: np.ndarray, frames: int = 16, size: tuple[int, int] = (720, 1280),
                  light: float = 1.0, seed: int = 11, force: bool = False, lean: float = 0.0,
                  backdrop: str = "clutter", recline: float = 0.0, lower: float = 0.0,
                  fill: tuple[float, float] = (0.55, 0.8)) -> Path:
    """Write ``frames`` held-up frames of ``size`` (height, width) and their manifest to ``folder``;
    a manifest already there is replaced only with ``force``."""
    if (folder / "manifest.json").exists() and not force:
        raise FileExistsError(f"{folder / 'manifest.json'} exists; pass --force to replace it, or choose another folder")
    rng = np.random.default_rng(seed)
    (folder / "img").mkdir(parents=True, exist_ok=True)
    entries = []
    for k in range(frames):
        image, boxes, paper = held_up_frame(x, y, rng, k, size, light, lean, backdrop, recline, lower, fill)
        name = f"img/held_up_{k:03d}_{paper}.png"
        if not cv2.imwrite(str(folder / name), image):
            raise OSError(f"cannot write {folder / name}")
        entries.append({"file": name, "kind": f"held_up_{paper}", "width": size[1], "height": size[0],
                        "digits": "".join(str(b[4]) for b in boxes), "boxes": boxes})
    manifest = folder / "manifest.json"
    manifest.write_text("[\n" + ",\n".join(json.dumps(e) for e in entries) + "\n]\n")
    return manifest


def _size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` as (height, width)."""
    import argparse

    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 640x480, got {text!r}") from None
    if not (64 <= w <= 4096 and 64 <= h <= 4096):
        raise argparse.ArgumentTypeError(f"width and height from 64 to 4096 pixels, got {text!r}")
    return h, w


def _fill(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` as a pair of shares of the frame."""
    import argparse

    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH such as 0.9,1.05, got {text!r}") from None
    if not 0.1 <= low <= high <= 2.0:
        raise argparse.ArgumentTypeError(f"LOW,HIGH from 0.1 to 2 with LOW <= HIGH, got {text!r}")
    return low, high


def main(argv: list[str] | None = None) -> int:
    import argparse

    from digitcam.data import load_mnist
    from digitcam.errors import DigitcamError

    ap = argparse.ArgumentParser(prog="python -m digitcam.train.heldup",
                                 description="Write labelled frames of pages of MNIST test digits held up in front of "
                                             "floorboards, fabric or a bright wall, and their manifest.json, for "
                                             "digitcam eval --labels.")
    ap.add_argument("folder", type=Path, help="where to write them (made if missing)")
    ap.add_argument("--data", help="MNIST as Keras' mnist.npz or a folder of IDX files (default: as digitcam train finds it)")
    ap.add_argument("--frames", type=int, default=16, help="how many frames (default 16: plain, ruled and squared in turn)")
    ap.add_argument("--size", type=_size, default=(720, 1280), help="frame size WIDTHxHEIGHT (default 1280x720)")
    ap.add_argument("--light", type=float, default=1.0, help="under 1: a dim room, the frame this much as bright (default 1)")
    ap.add_argument("--lean", type=float, default=0.0,
                    help="degrees the page is held turned, one way and the other in turn "
                         "(default 0: a few degrees at random)")
    ap.add_argument("--backdrop", choices=sorted(BACKDROPS), default="clutter",
                    help="behind the page: clutter (floorboards and fabric in turn) or a bright wall (default clutter)")
    ap.add_argument("--recline", type=float, default=0.0,
                    help="degrees the page's top leans away from the camera (60: a sheet lying on the desk before "
                         "a webcam, its digits half as tall; default 0)")
    ap.add_argument("--lower", type=float, default=0.0,
                    help="the page this share of the frame's height lower (0.3 with --recline 60: its near edge "
                         "under the frame's bottom; default 0)")
    ap.add_argument("--fill", type=_fill, default=(0.55, 0.8),
                    help="LOW,HIGH: how large the page shows, as a share of the frame (default 0.55,0.8)")
    ap.add_argument("--seed", type=int, default=11, help="the same seed writes the same frames (default 11)")
    ap.add_argument("--force", action="store_true", help="replace the frames and manifest of an earlier run in FOLDER")

    def one_line(message: str) -> None:
        print(f"error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)

    ap.error = one_line   # a usage error is one line, not the usage block
    args = ap.parse_args(argv)
    if not 1 <= args.frames <= 10_000 or not 0.05 <= args.light <= 1.0 or not -45 <= args.lean <= 45 \
            or not 0 <= args.recline <= 80 or not 0 <= args.lower <= 0.5:
        ap.error("--frames takes 1 to 10000, --light 0.05 to 1, --lean -45 to 45, --recline 0 to 80, --lower 0 to 0.5")
    try:
        mnist = load_mnist(args.data)
        manifest = write_held_up(args.folder, mnist.x_test, mnist.y_test.astype(np.int32), args.frames, args.size,
                                 args.light, args.seed, args.force, args.lean, args.backdrop,
                                 args.recline, args.lower, args.fill)
    except (DigitcamError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e}; pick a folder you can write to", file=sys.stderr)
        return 1
    print(f"wrote {args.frames} frames and {manifest}; measure them with: digitcam eval --labels {manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A folder of digit-free photos for ``digitcam eval --negatives``: ``python -m digitcam.train.negatives DIR``.

Photographs that ship inside packages and were never shown to the model in training (scikit-image's
cat, camera man, coins and printed page; matplotlib's Grace Hopper), each whole and as close-ups,
plus rendered scenes that fool a digit reader: floorboards, stripes, fabric with folds, a grid
and ruled paper without writing, and a page of printed words. Any digit read on them is false.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from digitcam.synth import fabric as _fabric, stripes as _stripes, wood as _wood
from digitcam.train.scenes import held_out_photos


def _text_page(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    page = np.full((h, w, 3), 235, np.uint8)
    words = "the quick brown fox jumps over a lazy dog while seven wizards hex every bad jock".split()
    y = 40
    while y < h - 20:
        line = " ".join(rng.choice(words, 8))
        cv2.putText(page, line, (20, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (30, 30, 30), 2, cv2.LINE_AA)
        y += int(rng.uniform(30, 45))
    return page


def _lines(h: int, w: int, rng: np.random.Generator, squared: bool) -> np.ndarray:
    page = np.full((h, w, 3), 240, np.uint8)
    step = int(rng.uniform(20, 40))
    for y in range(step, h, step):
        cv2.line(page, (0, y), (w, y), (200, 160, 120), 1, cv2.LINE_AA)
    if squared:
        for x in range(step, w, step):
            cv2.line(page, (x, 0), (x, h), (200, 160, 120), 1, cv2.LINE_AA)
    return page


def negative_images(seed: int = 12345) -> list[tuple[str, np.ndarray]]:
    """(name, BGR image) pairs, all free of digits."""
    rng = np.random.default_rng(seed)
    out = []
    for name, im in held_out_photos():
        out.append((name, im))
        h, w = im.shape[:2]
        up = cv2.resize(im, (w * 2, h * 2), interpolation=cv2.INTER_CUBIC)  # as a close-up at 2x
        out.append((f"{name}_closeup", up[h // 2:h // 2 + h, w // 2:w // 2 + w]))
    h, w = 720, 1280
    for k in range(3):
        out.append((f"floorboards_{k}", np.clip(_wood(h, w, rng), 0, 255).astype(np.uint8)))
        out.append((f"stripes_{k}", np.clip(_stripes(h, w, rng), 0, 255).astype(np.uint8)))
        out.append((f"fabric_{k}", np.clip(_fabric(h, w, rng), 0, 255).astype(np.uint8)))
    out.append(("printed_words", _text_page(h, w, rng)))
    out.append(("ruled_paper", _lines(h, w, rng, False)))
    out.append(("squared_paper", _lines(h, w, rng, True)))
    return out


def write_negatives(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, im in negative_images():
        p = folder / f"{name}.png"
        if not cv2.imwrite(str(p), im):
            raise OSError(f"cannot write {p}")
        paths.append(p)
    return paths


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m digitcam.train.negatives",
                                 description="Write the digit-free test images (photos shipped in packages, rendered "
                                             "floorboards, fabric, stripes, ruled paper, printed words) to a folder, "
                                             "for digitcam eval --negatives.")
    ap.add_argument("folder", type=Path, help="where to write them (made if missing)")
    args = ap.parse_args(argv)
    try:
        written = write_negatives(args.folder)
    except OSError as e:
        print(f"error: {e}; pick a folder you can write to", file=sys.stderr)
        return 1
    print(f"wrote {len(written)} digit-free images to {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training scenes with known truth: handwritten digits on pages, in front of the world.

Each scene is a camera-sized image: a page (white, off-white, a yellow sticky note, a whiteboard,
or a dark canvas or chalkboard with light ink) lying flat or held at an angle in front of a
backdrop (photographs shipped by scikit-image and matplotlib, wood planks, fabric, stripes,
a dark desk), sometimes with a hand over its edge. On the page, MNIST training digits in one of
several layouts: numbers in rows, stacked columns, a sudoku grid, touching pairs, scattered
singles, one large digit; in pen, marker, pencil or chalk, small or large; on plain, ruled or
squared paper; among printed text, script letters, maths symbols, boxes and underlines. Some
scenes hold no digits at all. Then light, shadow, blur, noise and JPEG.

:func:`label_candidates` runs a scene through the engine's own candidate stages and labels every
hypothesis by its overlap with the truth, so the model learns on exactly what it will be shown:
a hypothesis that is one digit is that digit; two digits merged, half a digit, a page edge, a
letter or a floorboard gap is "not a digit".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from digitcam.detections import iou_matrix
from digitcam.synth import fabric, stripes, wood

POSITIVE_IOU = 0.7   # a hypothesis this close to one true digit is that digit
NEGATIVE_IOU = 0.45  # under this with every true digit, it is "not a digit"; between: not used
SIZES = [(480, 640), (540, 720), (600, 800), (720, 1280), (768, 1024)]

# Held out of training, for `digitcam eval --negatives`: the cat, the camera man, Grace Hopper,
# the coins and the printed page are never shown to the model.
TRAIN_PHOTOS = ("astronaut", "coffee", "rocket", "brick", "grass", "gravel", "moon", "hubble_deep_field",
                "immunohistochemistry", "cell", "retina", "horse", "binary_blobs", "colorwheel")

LETTERS = "ABCDEFGHKLMNPRTUVWXYZabcdefghkmnprstuvwxyz"
SYMBOLS = "+-=()[]<>/*%#&?:;.,!"
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
         cv2.FONT_HERSHEY_PLAIN)
SCRIPT = (cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
# TrueType faces that matplotlib ships (so every machine that trains has them) for pages printed
# all through (``printed_pages="all"``: the printed-digit reader's scenes, engine.printed). DejaVu
# Sans is left out: the sudoku test, the bench's typeset row and the README's measurement print
# in it (and in URW's faces, which come with the system, not with a package).
TYPEFACES = ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
             "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf",
             "DejaVuSansMono-BoldOblique.ttf", "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf",
             "STIXGeneralBolIta.ttf", "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmb10.ttf", "cmti10.ttf")


@dataclass
class Scene:
    image: np.ndarray                                  # uint8 BGR
    boxes: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # x, y, w, h, label
    ink: list[np.ndarray] = field(default_factory=list)  # per box: (N, 2) x, y of its ink, frame pixels


# Digit-free photographs from a folder (`digitcam train --backdrops DIR`), chosen in each process
# that renders scenes by :func:`use_backdrops`; None: the package photographs only.
_BACKDROP_FOLDER: dict[str, str | None] = {"folder": None}
BACKDROP_SIDE = 1600  # a folder's photographs are kept at most this large (a 24 MP wallpaper would cost 70 MB)


def shrunk(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` with its longer side brought down to at most ``side`` pixels."""
    s = min(1.0, side / max(image.shape[:2]))
    if s == 1.0:
        return image
    size = (max(1, round(image.shape[1] * s)), max(1, round(image.shape[0] * s)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=1)
def load_backdrops(folder: str) -> tuple[np.ndarray, ...]:
    """Every image in ``folder`` (sorted by name), BGR, its longer side at most ``BACKDROP_SIDE``;
    loaded once a process (a worker renders many chunks)."""
    from pathlib import Path

    from digitcam.images import is_image_path

    images = (cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted(Path(folder).iterdir()) if is_image_path(p))
    return tuple(shrunk(im, BACKDROP_SIDE) for im in images if im is not None)


def use_backdrops(folder: str | None) -> None:
    """Add the photographs of ``folder`` to this process's backdrops (None: the package ones only)."""
    _BACKDROP_FOLDER["folder"] = folder


def _folder_photos() -> list[np.ndarray]:
    folder = _BACKDROP_FOLDER["folder"]
    return list(load_backdrops(folder)) if folder else []


def _photos() -> list[np.ndarray]:
    """Every backdrop photograph: the package ones and a folder's (:func:`use_backdrops`)."""
    return _package_photos() + _folder_photos()


@lru_cache(maxsize=1)
def _package_photos(names: tuple[str, ...] = TRAIN_PHOTOS) -> list[np.ndarray]:
    """Photographs shipped inside packages (no download), as BGR uint8."""
    import skimage.data as data

    out = []
    for name in names:
        fn = getattr(data, name, None)
        if fn is None:
            continue
        try:
            # binary_blobs draws new blobs on every call unless seeded: every worker process would
            # render other scenes from the same seeds (training was not reproducible)
            im = np.asarray(fn(rng=0) if name == "binary_blobs" else fn())
        except Exception:  # noqa: BLE001 - an optional image that needs a download
            continue
        if im.dtype == bool:
            im = im.astype(np.uint8) * 255
        if im.ndim == 2:
            im = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR)
        elif im.shape[2] == 4:
            im = cv2.cvtColor(im, cv2.COLOR_RGBA2BGR)
        else:
            im = cv2.cvtColor(im, cv2.COLOR_RGB2BGR)
        out.append(im.astype(np.uint8))
    return out


def held_out_photos() -> list[tuple[str, np.ndarray]]:
    """Digit-free photographs never used in training (scikit-image and matplotlib samples)."""
    import skimage.data as data

    out = []
    for name in ("chelsea", "camera", "coins", "page", "grace_hopper"):
        if name == "grace_hopper":
            import matplotlib.cbook as cbook

            im = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
        else:
            im = np.asarray(getattr(data, name)())
            im = cv2.cvtColor(im, cv2.COLOR_GRAY2BGR) if im.ndim == 2 else cv2.cvtColor(im, cv2.COLOR_RGB2BGR)
        out.append((name, im))
    return out


# ---------------------------------------------------------------- backdrops

def _photo(h: int, w: int, rng: np.random.Generator, photos: list[np.ndarray] | None = None) -> np.ndarray:
    photos = photos or _photos()
    im = photos[int(rng.integers(len(photos)))]
    s = max(h / im.shape[0], w / im.shape[1]) * rng.uniform(1.0, 2.0)
    big = cv2.resize(im, (int(im.shape[1] * s) + 1, int(im.shape[0] * s) + 1), interpolation=cv2.INTER_LINEAR)
    y = int(rng.integers(0, big.shape[0] - h + 1))
    x = int(rng.integers(0, big.shape[1] - w + 1))
    out = big[y:y + h, x:x + w].astype(np.float32)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    return out


def backdrop(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """What is behind the page: a photograph, wood, fabric, stripes or a dark desk (float BGR)."""
    kind = rng.choice(["photo", "wood", "fabric", "stripes", "dark"], p=[0.45, 0.2, 0.15, 0.08, 0.12])
    if kind == "photo":
        return _photo(h, w, rng)
    if kind == "wood":
        return wood(h, w, rng)
    if kind == "fabric":
        return fabric(h, w, rng)
    if kind == "stripes":
        return stripes(h, w, rng)
    img = np.ones((h, w, 3), np.float32) * np.array(rng.uniform(10, 60, 3), np.float32)
    return img + cv2.GaussianBlur(rng.normal(0, 6, (h, w, 3)).astype(np.float32), (0, 0), 2)


# ---------------------------------------------------------------- the page and what is on it

@dataclass
class Page:
    img: np.ndarray          # float BGR
    ink: np.ndarray          # BGR colour of the pen
    dark: bool               # light ink on a dark page
    boxes: list = field(default_factory=list)          # x, y, w, h, label
    masks: list = field(default_factory=list)          # per digit: (ys, xs) of its ink, page pixels


def _paper(h: int, w: int, rng: np.random.Generator) -> Page:
    kind = rng.choice(["white", "tinted", "sticky", "board", "dark"], p=[0.42, 0.18, 0.1, 0.15, 0.15])
    dark = kind == "dark"
    if kind == "white":
        base = rng.uniform(205, 252, 3)
    elif kind == "tinted":
        base = rng.uniform(170, 240, 3)
        base[int(rng.integers(3))] -= rng.uniform(0, 30)
    elif kind == "sticky":
        base = np.array([rng.uniform(60, 150), rng.uniform(200, 250), rng.uniform(220, 255)])
    elif kind == "board":
        base = rng.uniform(215, 245, 3) - rng.uniform(0, 15)
    else:
        base = rng.uniform(0, 70, 3) if rng.random() < 0.7 else np.array([rng.uniform(30, 60), rng.uniform(60, 90), rng.uniform(30, 60)])
    img = np.ones((h, w, 3), np.float32) * base.astype(np.float32)
    img += rng.normal(0, rng.uniform(0.5, 4), (h, w, 1)).astype(np.float32)
    if dark:
        ink = rng.uniform(200, 255, 3)
    else:
        pens = [rng.uniform(0, 60, 3), [rng.uniform(90, 170), rng.uniform(20, 70), rng.uniform(0, 40)],
                [rng.uniform(20, 60), rng.uniform(20, 60), rng.uniform(150, 230)], [rng.uniform(30, 80), rng.uniform(100, 150), rng.uniform(20, 60)],
                rng.uniform(90, 150, 1).repeat(3)]
        ink = np.asarray(pens[int(rng.choice(5, p=[0.35, 0.3, 0.15, 0.08, 0.12]))], np.float64)
    return Page(img, ink.astype(np.float32), dark)


def _rules(page: Page, rng: np.random.Generator, spacing: int) -> None:
    h, w = page.img.shape[:2]
    colour = tuple(float(c) for c in (rng.uniform([150, 110, 60], [230, 190, 140]) if not page.dark else rng.uniform(60, 110, 3)))
    off = int(rng.integers(0, spacing))
    squared = rng.random() < 0.5
    t = int(rng.choice([1, 1, 2]))
    for y in range(off, h, spacing):
        cv2.line(page.img, (0, y), (w, y), colour, t, cv2.LINE_AA)
    if squared:
        for x in range(off, w, spacing):
            cv2.line(page.img, (x, 0), (x, h), colour, t, cv2.LINE_AA)


def _digit_ink(digit: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray | None:
    """An MNIST digit as float ink coverage, ``height`` pixels tall, with its own pen width."""
    ys, xs = np.nonzero(digit > 40)
    if ys.size == 0:
        return None
    d = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    s = height / d.shape[0] * rng.uniform(0.95, 1.05)
    w = max(1, int(round(d.shape[1] * s * rng.uniform(0.65, 1.25))))  # narrow and broad hands
    big = cv2.resize(d, (w, max(1, int(round(d.shape[0] * s)))), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.3:  # slant
        sh = rng.uniform(-0.25, 0.25)
        m = np.float32([[1, sh, -sh * big.shape[0] / 2 + abs(sh) * big.shape[0] / 2], [0, 1, 0]])
        big = cv2.warpAffine(big, m, (big.shape[1] + int(abs(sh) * big.shape[0]), big.shape[0]))
    pen = rng.choice(["thin", "same", "thick"], p=[0.4, 0.35, 0.25])
    if pen != "same" and height > 24:
        k = max(2, int(height / 28 * rng.uniform(0.5, 1.5)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        big = cv2.erode(big, kernel) if pen == "thin" else cv2.dilate(big, kernel)
    ink = np.clip((big - 0.3) / 0.4, 0, 1)
    return ink if ink.max() > 0.5 else None


def _printed_ink(label: int, height: int, rng: np.random.Generator, faces: bool = False) -> np.ndarray | None:
    """A printed digit (a Hershey font, from hairline to bold; with ``faces``, mostly a TrueType
    face of :data:`TYPEFACES`) as float ink coverage, ``height`` pixels tall: sudoku puzzles,
    forms and price tags print their digits, and a reader that only knows handwriting takes a bold
    printed 3 for a blob."""
    if faces and label == 1 and rng.random() < 0.3:
        return _flagged_one(height, rng)
    if faces and rng.random() < 0.75:
        return _typed(str(label), height, rng)
    font = int(rng.choice(FONTS))
    thick = max(1, int(round(height / rng.uniform(4.5, 16))))
    size = 4 * height
    mask = np.zeros((size, size), np.uint8)
    cv2.putText(mask, str(label), (height // 2, 3 * height), font, 3 * height / 22.0, 255, 3 * thick, cv2.LINE_AA)
    ink = _ink_of(mask, height, rng)
    return ink if ink is not None and ink.max() > 0.5 else None


def _ink_of(mask: np.ndarray, height: int, rng: np.random.Generator) -> np.ndarray | None:
    """The ink of a uint8 ``mask`` of printed text, cropped and brought to ``height`` pixels (float
    coverage), a little wider or narrower as a printer or a camera makes it; None if it has none."""
    ys, xs = np.nonzero(mask > 100)
    if ys.size == 0:
        return None
    d = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    s = height / d.shape[0]
    return cv2.resize(d, (max(1, int(round(d.shape[1] * s * rng.uniform(0.85, 1.15)))), height), interpolation=cv2.INTER_AREA)


def _flagged_one(height: int, rng: np.random.Generator) -> np.ndarray:
    """A printed 1 of the grotesque kind, a bar and a flag without a foot (Helvetica's and Arial's,
    whose like no face of :data:`TYPEFACES` has), drawn as float ink coverage ``height`` pixels
    tall: from hairline to bold, the flag short or long, upright or leaning."""
    s = 4                                                   # drawn 4x, then brought down
    h = height * s
    t = max(s, int(round(h * rng.uniform(0.07, 0.2))))      # the bar's width
    w = int(h * 0.6) + t
    canvas = np.zeros((h + 2 * s, w + 2 * s), np.uint8)
    x = w - t - int(h * rng.uniform(0.0, 0.15))             # the bar's left side
    cv2.rectangle(canvas, (x, s), (x + t, h + s), 255, -1)
    flag = h * rng.uniform(0.18, 0.4)
    angle = np.radians(rng.uniform(25, 55))                 # below the horizontal, to the left
    end = (int(x - flag * np.cos(angle)), int(s + t / 2 + flag * np.sin(angle)))
    cv2.line(canvas, (x + t // 2, s + t // 2), end, 255, max(s, int(t * rng.uniform(0.6, 1.0))), cv2.LINE_AA)
    if rng.random() < 0.3:                                  # oblique
        sh = rng.uniform(0.1, 0.25)
        m = np.float32([[1, -sh, sh * canvas.shape[0]], [0, 1, 0]])
        canvas = cv2.warpAffine(canvas, m, (canvas.shape[1] + int(sh * canvas.shape[0]), canvas.shape[0]))
    ys, xs = np.nonzero(canvas > 100)
    d = canvas[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32) / 255
    return cv2.resize(d, (max(1, int(round(d.shape[1] * height / d.shape[0]))), height), interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=64)
def _face(name: str, size: int):
    import os

    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf", name), size)


def _typed(text: str, height: int, rng: np.random.Generator, face: str | None = None) -> np.ndarray | None:
    """``text`` typeset in a TrueType face (one of :data:`TYPEFACES` at random unless ``face``) as
    float ink coverage, its ink ``height`` pixels tall (:func:`_ink_of`), sometimes bolder or
    thinner."""
    from PIL import Image, ImageDraw

    face = face or str(rng.choice(TYPEFACES))
    size = 96
    img = Image.new("L", (size * (len(text) + 2), 2 * size), 0)
    ImageDraw.Draw(img).text((size // 2, size // 3), text, font=_face(face, size), fill=255)
    ink = _ink_of(np.asarray(img), height, rng)
    if ink is None:
        return None
    if height >= 16 and rng.random() < 0.3:   # toner spread or starved
        k = np.ones((2, 2), np.uint8)
        ink = cv2.dilate(ink, k) if rng.random() < 0.5 else cv2.erode(ink, k)
    return ink if ink.max() > 0.5 else None


def _place(page: Page, ink: np.ndarray, x: int, y: int, darkness: float, label: int | None) -> bool:
    """Composite ``ink`` at (x, y); record its truth when ``label`` is a digit."""
    h, w = page.img.shape[:2]
    ih, iw = ink.shape
    if x < 0 or y < 0 or x + iw > w or y + ih > h:
        return False
    a = (ink * darkness)[..., None]
    region = page.img[y:y + ih, x:x + iw]
    page.img[y:y + ih, x:x + iw] = region * (1 - a) + page.ink * a
    if label is not None:
        ys, xs = np.nonzero(ink > 0.3)
        if ys.size == 0:
            return False
        page.boxes.append(label)
        page.masks.append((ys + y, xs + x))
    return True


def _text(page: Page, rng: np.random.Generator, x: int, y: int, height: int, script: bool, n: int,
          faces: bool = False) -> int:
    """Printed or script letters and symbols (never digits) at (x, y): returns the end x. With
    ``faces``, printed letters are mostly typeset in a TrueType face (:func:`_typed`)."""
    chars = LETTERS + (SYMBOLS if rng.random() < 0.5 else "")
    text = "".join(chars[int(rng.integers(len(chars)))] if rng.random() > 0.15 else " " for _ in range(n))
    if faces and not script and text.strip() and rng.random() < 0.75:
        ink = _typed(text.strip(), max(8, int(height * 1.3)), rng)
        if ink is not None:
            colour = page.ink if rng.random() < 0.6 else (rng.uniform(0, 80, 3) if not page.dark else rng.uniform(180, 255, 3))
            h, w = page.img.shape[:2]
            ih, iw = min(ink.shape[0], h - y), min(ink.shape[1], w - x)
            if ih > 0 and iw > 0 and x >= 0 and y >= 0:
                m = ink[:ih, :iw, None]
                page.img[y:y + ih, x:x + iw] = page.img[y:y + ih, x:x + iw] * (1 - m) + np.asarray(colour, np.float32) * m
            return x + ink.shape[1]
    font = int(rng.choice(SCRIPT if script else FONTS))
    scale = height / 22.0
    thick = max(1, int(height / rng.uniform(8, 16)))
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    colour = page.ink if rng.random() < 0.6 else (rng.uniform(0, 80, 3) if not page.dark else rng.uniform(180, 255, 3))
    pad = thick + 2
    mask = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(mask, text, (pad, pad + th), font, scale, 255, thick, cv2.LINE_AA)
    h, w = page.img.shape[:2]
    y0, x0 = y - pad, x - pad
    ys, xs = slice(max(0, y0), min(h, y0 + mask.shape[0])), slice(max(0, x0), min(w, x0 + mask.shape[1]))
    m = mask[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0].astype(np.float32)[..., None] / 255
    if m.size:
        page.img[ys, xs] = page.img[ys, xs] * (1 - m) + np.asarray(colour, np.float32) * m
    return x + tw


def _write(page: Page, digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
           printed_pages: bool | str = False) -> None:
    """Lay digits (and distractors) out on the page in one of several layouts.

    With ``printed_pages="all"``, every digit is printed, mostly in TrueType faces, and so are most
    printed letters (the printed-digit reader's scenes, ``python -m digitcam.train.printed``);
    sudoku grids and rows come more often.

    With ``printed_pages``, about a fifth of the pages and half of the sudoku grids print some or
    all of their digits, with bolder box lines. Neither shipped model learned from them (docs/history.md,
    Figures): a CNN taught printed digits read rows of coins and printed o's as 0s (0.73 false
    digits per digit-free image against 0.05), and a prefilter (``python -m
    digitcam.train.prefilter --printed``) that passes bold printed sudoku digits also passes
    specks that the CNN reads as digits on painted-out photos."""
    h, w = page.img.shape[:2]
    faces = printed_pages == "all"
    layout = rng.choice(["rows", "columns", "grid", "touching", "scatter", "single", "math", "none"],
                        p=[0.25, 0.08, 0.3, 0.05, 0.07, 0.05, 0.15, 0.05] if faces else
                        [0.28, 0.13, 0.1, 0.1, 0.1, 0.08, 0.14, 0.07])
    short = min(h, w)
    dh = int(np.clip(short * rng.uniform(0.03, 0.16), 12, 200))
    if layout == "single":  # one digit, up to filling the frame (a drawing canvas, a close-up)
        dh = int(short * rng.uniform(0.3, 0.95))
    darkness = rng.uniform(0.55, 1.0)
    if rng.random() < 0.35 and layout != "single":
        _rules(page, rng, max(10, int(dh * rng.uniform(1.1, 1.8))))
    it = iter(range(10 ** 9))
    printed = 0.0   # the share of this page's digits that are printed (a sudoku puzzle, a form)
    if faces:
        printed = 1.0
    elif printed_pages:
        printed = 0.0 if rng.random() < (0.5 if layout == "grid" else 0.85) else rng.uniform(0.3, 1.0)

    def next_digit():
        i = next(it) % len(digits)
        return digits[i], int(labels[i])

    def ink_of(d: np.ndarray, lab: int, height: int) -> np.ndarray | None:
        return _printed_ink(lab, height, rng, faces) if printed and rng.random() < printed else _digit_ink(d, height, rng)

    margin = int(short * rng.uniform(0.03, 0.1))
    if layout == "none" or len(labels) == 0:  # a page of letters, symbols and lines only
        layout = "math"
        labels = labels[:0]
    if layout in ("rows", "touching", "math"):
        y = margin
        while y + dh < h - margin:
            x = margin + int(rng.integers(0, max(1, w // 5)))
            line_h = int(dh * rng.uniform(0.85, 1.15))
            while x < w - margin - dh:
                r = rng.random()
                if layout == "math" and r < 0.45:
                    x = _text(page, rng, x, y, int(line_h * rng.uniform(0.5, 1.0)), rng.random() < 0.5, int(rng.integers(1, 6)), faces)
                    x += int(dh * rng.uniform(0.3, 1.0))
                    continue
                if layout == "rows" and r < (0.35 if faces else 0.12):
                    x = _text(page, rng, x, y, int(line_h * rng.uniform(0.5, 0.9)), rng.random() < 0.3, int(rng.integers(2, 10)), faces)
                    x += int(dh * rng.uniform(0.5, 1.5))
                    continue
                if len(labels) == 0:
                    x = _text(page, rng, x, y, int(line_h * rng.uniform(0.5, 1.0)), rng.random() < 0.5, int(rng.integers(1, 8)), faces)
                    x += int(dh * rng.uniform(0.3, 1.0))
                    continue
                sloppy = rng.random() < 0.35  # a hand whose digits vary in size along the line
                for _ in range(int(rng.integers(1, 6))):
                    d, lab = next_digit()
                    ink = ink_of(d, lab, int(line_h * (rng.uniform(0.6, 1.7) if sloppy else rng.uniform(0.85, 1.1))))
                    if ink is None:
                        continue
                    top = y + int(rng.integers(-line_h // 10 - 1, line_h // 10 + 2))
                    if not _place(page, ink, x, top, darkness, lab):
                        break
                    gap = rng.uniform(-0.12, 0.05) if layout == "touching" else rng.uniform(0.05, 0.5)
                    x += ink.shape[1] + int(gap * line_h)
                if rng.random() < 0.15:  # underline or box the number
                    cv2.line(page.img, (x - int(dh * 2), y + line_h + 3), (x, y + line_h + 3), tuple(float(c) for c in page.ink), max(1, dh // 15))
                x += int(line_h * rng.uniform(0.6, 2.0))
            y += int(line_h * rng.uniform(1.3, 2.2))
    elif layout == "columns":
        x = margin
        while x + dh < w - margin:
            y = margin + int(rng.integers(0, max(1, h // 8)))
            while y + dh < h - margin:
                d, lab = next_digit()
                ink = ink_of(d, lab, int(dh * rng.uniform(0.85, 1.15)))
                if ink is not None and _place(page, ink, x + int(rng.integers(0, dh // 4 + 1)), y, darkness, lab):
                    y += ink.shape[0] + int(dh * rng.uniform(0.02, 0.4))
                else:
                    y += dh
            x += int(dh * rng.uniform(1.2, 2.5))
    elif layout == "grid":
        cell = int(dh * rng.uniform(1.3, 2.0))
        n = int(min((h - 2 * margin) // cell, (w - 2 * margin) // cell, 9))
        colour = tuple(float(c) for c in (page.ink if rng.random() < 0.5 else rng.uniform(0, 90, 3)))
        for k in range(n + 1):
            box_line = k % 3 == 0 and rng.random() < 0.7   # bolder on printed puzzles
            t = (int(rng.integers(2, max(3, cell // 12) + 1)) if printed_pages else 2) if box_line else 1
            cv2.line(page.img, (margin, margin + k * cell), (margin + n * cell, margin + k * cell), colour, t)
            cv2.line(page.img, (margin + k * cell, margin), (margin + k * cell, margin + n * cell), colour, t)
        for r in range(n):
            for c in range(n):
                if rng.random() < 0.45:
                    d, lab = next_digit()
                    ink = ink_of(d, lab, int(cell * rng.uniform(0.5, 0.75)))
                    if ink is not None:
                        ox = margin + c * cell + (cell - ink.shape[1]) // 2 + int(rng.integers(-2, 3))
                        oy = margin + r * cell + (cell - ink.shape[0]) // 2 + int(rng.integers(-2, 3))
                        _place(page, ink, ox, oy, darkness, lab)
    else:  # scatter / single
        for _ in range(1 if layout == "single" else int(rng.integers(2, 12))):
            d, lab = next_digit()
            ink = ink_of(d, lab, int(dh * (1 if layout == "single" else rng.uniform(0.6, 1.6))))
            if ink is None or ink.shape[0] >= h or ink.shape[1] >= w:
                continue
            _place(page, ink, int(rng.integers(0, w - ink.shape[1])), int(rng.integers(0, h - ink.shape[0])), darkness, lab)
            if layout == "scatter" and rng.random() < 0.3:
                _text(page, rng, int(rng.integers(0, w // 2)), int(rng.integers(0, h - 30)), int(dh * 0.7), rng.random() < 0.5, int(rng.integers(2, 8)), faces)


def _hand(img: np.ndarray, rng: np.random.Generator) -> None:
    """A hand (palm and fingers) over the frame, in a skin tone."""
    h, w = img.shape[:2]
    tone = np.array([rng.uniform(60, 190), rng.uniform(90, 200), rng.uniform(140, 240)], np.float32)
    edge = int(rng.integers(4))
    s = min(h, w) * rng.uniform(0.15, 0.35)
    cx, cy = [(rng.uniform(0, w), 0), (rng.uniform(0, w), h), (0, rng.uniform(0, h)), (w, rng.uniform(0, h))][edge]
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (int(cx), int(cy)), (int(s), int(s * 0.8)), float(rng.uniform(0, 180)), 0, 360, 255, -1)
    for _ in range(4):
        ang = rng.uniform(0, 2 * np.pi)
        ex, ey = cx + np.cos(ang) * s * 1.6, cy + np.sin(ang) * s * 1.6
        cv2.line(mask, (int(cx), int(cy)), (int(ex), int(ey)), 255, int(s * 0.28))
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), 2)[..., None]
    shade = 1 + 0.15 * cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 8)[..., None]
    img[:] = img * (1 - soft) + tone * shade * soft


def _camera(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a camera does to a float BGR frame: uneven light, a shadow, blur, noise, JPEG (uint8 out)."""
    h, w = img.shape[:2]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1 + rng.uniform(-0.25, 0.25) * (gx / w - 0.5) * 2 + rng.uniform(-0.25, 0.25) * (gy / h - 0.5) * 2
    if rng.random() < 0.25:  # a soft shadow across part of the frame
        a = rng.uniform(0, np.pi)
        d = (gx - w / 2) * np.cos(a) + (gy - h / 2) * np.sin(a)
        light *= 1 - rng.uniform(0.2, 0.5) / (1 + np.exp(-d / rng.uniform(5, 60)))
    img = img * light[..., None] * rng.uniform(0.7, 1.15)
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.5))
    img = img + rng.normal(0, rng.uniform(0.5, 6), img.shape).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        _, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 95))])
        img = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return img


def render_world(rng: np.random.Generator, size: tuple[int, int] | None = None) -> Scene:
    """A camera frame of the world without a page: part of a photograph (of a folder's when
    :func:`use_backdrops` gave one, else the package ones), at a random scale, mirrored half the
    time and turned a quarter of the time, through the camera. Nothing on it is a digit."""
    h, w = size or SIZES[int(rng.integers(len(SIZES)))]
    photos = _folder_photos() or None
    if rng.random() < 0.25:
        img = np.ascontiguousarray(np.rot90(_photo(w, h, rng, photos), int(rng.choice([1, 3]))))
    else:
        img = _photo(h, w, rng, photos)
    return Scene(_camera(img, rng))


def render_scene(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator,
                 size: tuple[int, int] | None = None, printed_pages: bool | str = False) -> Scene:
    """One camera-sized scene with its true digit boxes (see the module docstring); with
    ``printed_pages``, some pages print their digits (the prefilter's scenes)."""
    h, w = size or SIZES[int(rng.integers(len(SIZES)))]
    full = rng.random() < 0.45                          # the page fills the frame
    ph, pw = (h, w) if full else (int(h * rng.uniform(0.5, 1.1)), int(w * rng.uniform(0.4, 0.9)))
    page = _paper(ph, pw, rng)
    if rng.random() < 0.1:
        labels = labels[:0]                             # a page without digits
    _write(page, digits, labels, rng, printed_pages)
    if full and rng.random() < 0.6:
        img = page.img
        m = np.float32([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    else:
        img = backdrop(h, w, rng)
        if rng.random() < 0.08:                           # no page at all: only the world
            page.boxes, page.masks = [], []
            m = None
        else:
            src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
            angle = np.deg2rad(rng.normal(0, 12))
            scale = rng.uniform(0.6, 1.05) * min(h / ph, w / pw)
            c, s = np.cos(angle) * scale, np.sin(angle) * scale
            centre = np.array([w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.7)])
            pts = (src - [pw / 2, ph / 2]) @ np.array([[c, s], [-s, c]], np.float32) + centre
            pts += rng.normal(0, 0.04, (4, 2)) * [pw * scale, ph * scale]
            m = cv2.getPerspectiveTransform(src, pts.astype(np.float32))
            warped = cv2.warpPerspective(page.img, m, (w, h), flags=cv2.INTER_LINEAR)
            cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
            img = img * (1 - cover) + warped * cover
    boxes, inks = [], []
    if m is not None:
        for lab, (ys, xs) in zip(page.boxes, page.masks):
            pts = cv2.perspectiveTransform(np.stack([xs, ys], 1).astype(np.float32)[None], m)[0]
            x0, y0 = np.floor(pts.min(axis=0)).astype(int)
            x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
            if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
                boxes.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0), lab))
                inks.append(pts)
    if rng.random() < 0.2:
        _hand(img, rng)
    img = _camera(img, rng)
    return Scene(img, boxes, inks)


# ---------------------------------------------------------------- labelling the engine's hypotheses

def label_hypotheses(boxes: np.ndarray, truth: list[tuple[int, int, int, int, int]]) -> np.ndarray:
    """Per hypothesis box: its digit (0-9), 10 for "not a digit", or -1 for "do not train on it"."""
    out = np.full(len(boxes), 10, np.int32)
    if len(boxes) == 0 or not truth:
        return out
    t = np.array([b[:4] for b in truth], np.float64)
    iou = iou_matrix(boxes, t)
    best = iou.argmax(axis=1)
    top = iou.max(axis=1)
    pos = top >= POSITIVE_IOU
    out[pos] = np.array([truth[j][4] for j in best[pos]], np.int32)
    out[(top >= NEGATIVE_IOU) & ~pos] = -1
    return out


def scene_samples(scene: Scene, max_negatives: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine's hypotheses on ``scene`` as training samples: (digits, contexts, labels)."""
    from digitcam.engine import crops as crop_stage
    from digitcam.engine.candidates import propose
    from digitcam.engine.components import find_strokes
    from digitcam.normalise import to_gray

    gray = to_gray(scene.image)
    strokes = find_strokes(gray)
    batch = crop_stage.build(gray, strokes, propose(strokes, gray.shape[:2]))
    if len(batch) == 0:
        return np.zeros((0, 28, 28), np.float32), np.zeros((0, 32, 32), np.float32), np.zeros(0, np.int32)
    labels = label_hypotheses(np.array([h.box for h in batch.hyps], np.float64), scene.boxes)
    keep = np.flatnonzero(labels >= 0)
    neg = keep[labels[keep] == 10]
    pos = keep[labels[keep] < 10]
    rng = np.random.default_rng(len(batch))
    if len(neg) > max_negatives:
        neg = rng.choice(neg, max_negatives, replace=False)
    idx = np.concatenate([pos, neg]).astype(int)
    return batch.digits[idx], batch.contexts[idx], labels[idx]


# ---------------------------------------------------------------- rendering many scenes on all cores

def _map_chunk(args) -> tuple:
    """Worker: render ``n`` scenes from ``digits`` and apply ``fn`` to each; outputs concatenated."""
    fn, seed, n, digits, labels, printed_pages, backdrops, world = args
    use_backdrops(backdrops)
    rng = np.random.default_rng(seed)
    outs = []
    for _ in range(n):
        if world:
            outs.append(fn(render_world(rng)))
            continue
        idx = rng.integers(0, len(digits), 400)
        outs.append(fn(render_scene(digits[idx], labels[idx], rng, printed_pages=printed_pages)))
    return tuple(np.concatenate(parts) for parts in zip(*outs))


def map_scenes(fn, x: np.ndarray, y: np.ndarray, scenes: int, seed: int, workers: int = 2,
               progress=None, chunk: int = 25, printed_pages: bool | str = False, backdrops: str | None = None,
               world: bool = False) -> tuple[np.ndarray, ...]:
    """``fn(scene) -> (arrays...)`` over ``scenes`` scenes rendered from digits ``x`` and labels ``y``,
    in ``workers`` processes (scene k of chunk j uses the generator seeded ``seed + j``); the
    outputs concatenated. ``fn`` must be picklable: a module-level function or a partial of one.
    ``printed_pages``: see :func:`_write`. ``backdrops``: a folder of digit-free photographs added
    to the backdrops (:func:`use_backdrops`). ``world``: frames of those photographs alone
    (:func:`render_world`) instead of pages."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(fn, seed + k, min(chunk, scenes - k * chunk), x, y, printed_pages, backdrops, world) for k in range((scenes + chunk - 1) // chunk)]
    parts = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        for k, part in enumerate(pool.map(_map_chunk, jobs)):
            parts.append(part)
            if progress is not None:
                progress(min(scenes, (k + 1) * chunk))
    return tuple(np.concatenate(outs) for outs in zip(*parts))

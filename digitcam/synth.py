"""Synthetic labelled scenes: handwritten digits rendered onto paper, for tests and benchmarks.

Digits (MNIST images, or any 28x28 white-on-black arrays) are scaled up, given a pen colour and
width, and laid out in numbers along lines on paper with uneven light, optional ruled or squared
lines, perspective, blur, noise and JPEG compression. The true box and label of every digit
come with the image, so recall and precision can be measured exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np


@dataclass
class Scene:
    image: np.ndarray                      # uint8 BGR
    boxes: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # x, y, w, h, label
    numbers: list[str] = field(default_factory=list)  # in reading order


def hershey_digits(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """28x28 digits drawn with OpenCV's script font: a stand-in when MNIST is not at hand."""
    out = np.zeros((count, 28, 28), np.uint8)
    labels = rng.integers(0, 10, count)
    for i, d in enumerate(labels):
        img = np.zeros((56, 56), np.uint8)
        cv2.putText(img, str(d), (12, 46), cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, 1.6, 255, 4, cv2.LINE_AA)
        out[i] = cv2.resize(img, (28, 28), interpolation=cv2.INTER_AREA)
    return out, labels.astype(np.int32)


def _paper(h: int, w: int, rng: np.random.Generator, dark: bool) -> np.ndarray:
    if dark:
        base = np.array(rng.uniform(20, 70, 3), np.float32)
    else:
        base = np.array(rng.uniform(185, 250, 3), np.float32)
        base[rng.integers(3)] -= rng.uniform(0, 25)  # off-white or tinted paper
    page = np.ones((h, w, 3), np.float32) * base
    return page * _light(h, w, rng, 0.18)[..., None]


def _light(h: int, w: int, rng: np.random.Generator, spread: float) -> np.ndarray:
    """A lamp's light over a surface: a random slope across it, up to ``spread`` either way at its edges."""
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    return 1.0 + rng.uniform(-spread, spread) * (gx / w - 0.5) * 2 + rng.uniform(-spread, spread) * (gy / h - 0.5) * 2


def _rules(page: np.ndarray, rng: np.random.Generator, spacing: int, squared: bool) -> None:
    h, w = page.shape[:2]
    colour = tuple(float(c) for c in rng.uniform([150, 110, 60], [230, 190, 140]))  # pale blue (BGR)
    off = int(rng.integers(0, spacing))
    for y in range(off, h, spacing):
        cv2.line(page, (0, y), (w, y), colour, 1, cv2.LINE_AA)
    if squared:
        for x in range(off, w, spacing):
            cv2.line(page, (x, 0), (x, h), colour, 1, cv2.LINE_AA)


def render_scene(digits: np.ndarray, labels: np.ndarray, rng: np.random.Generator, size: tuple[int, int] = (480, 640),
                 count: int = 5, height: tuple[int, int] = (30, 60), dark_background: bool = False,
                 paper: str = "plain", perspective: float = 0.0, blur: float = 0.0, noise: float = 2.0,
                 jpeg: int | None = None, group: tuple[int, int] = (1, 4)) -> Scene:
    """A page with ``count`` digits laid out as numbers on lines, and its ground truth."""
    h, w = size
    page = _paper(h, w, rng, dark_background)
    line_gap = int(height[1] * 1.6)
    if paper != "plain":
        _rules(page, rng, max(12, int(height[1] * 0.8)), paper == "squared")
    ink_colour = np.array(rng.uniform(200, 255, 3) if dark_background else rng.uniform(10, 90, 3), np.float32)
    if not dark_background and rng.random() < 0.4:
        ink_colour = np.array([140, 40, 20], np.float32)  # blue ballpoint
    boxes: list[tuple[int, int, int, int, int]] = []
    numbers: list[str] = []
    margin = int(height[1] * 0.5) + 4
    x, y = margin, margin
    k = 0
    while k < count:
        n = int(min(rng.integers(group[0], group[1] + 1), count - k))
        dh = int(rng.integers(height[0], height[1] + 1))
        widths = []
        crops = []
        for j in range(n):
            digit = digits[(k + j) % len(digits)]
            big = cv2.resize(digit, (dh, dh), interpolation=cv2.INTER_CUBIC)
            ys, xs = np.nonzero(big > 60)
            if ys.size == 0:
                big = np.zeros((dh, dh // 2), np.uint8)
                big[:, dh // 4 - 2: dh // 4 + 2] = 255
                ys, xs = np.nonzero(big)
            crop = big[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
            crops.append(crop)
            widths.append(crop.shape[1])
        spacing = int(dh * 0.25)
        total = sum(widths) + spacing * (n - 1)
        if x + total > w - margin:
            x, y = margin, y + line_gap
        if y + dh > h - margin:
            break
        text = ""
        for j, crop in enumerate(crops):
            ch, cw = crop.shape
            top = y + (dh - ch) // 2 + int(rng.integers(-2, 3))
            top = int(np.clip(top, 0, h - ch))
            alpha = (crop.astype(np.float32) / 255.0)[..., None]
            region = page[top:top + ch, x:x + cw]
            page[top:top + ch, x:x + cw] = region * (1 - alpha) + ink_colour * alpha
            label = int(labels[(k + j) % len(labels)])
            boxes.append((x, top, cw, ch, label))
            text += str(label)
            x += cw + spacing
        numbers.append(text)
        k += n
        x += int(dh * rng.uniform(1.2, 2.0))
    image = page
    if perspective > 0:
        d = rng.uniform(-perspective, perspective, (4, 2)) * [w, h]
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = np.clip(src + d, [[0, 0]], [[w, h]]).astype(np.float32)
        m = cv2.getPerspectiveTransform(src, dst)
        edge = page[0, 0].tolist()
        image = cv2.warpPerspective(page, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=edge)
        warped = []
        for bx, by, bw, bh, lab in boxes:
            pts = np.float32([[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]])[None]
            q = cv2.perspectiveTransform(pts, m)[0]
            x0, y0 = q.min(axis=0)
            x1, y1 = q.max(axis=0)
            warped.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0), lab))
        boxes = warped
    if blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if noise > 0:
        image = image + rng.normal(0, noise, image.shape).astype(np.float32)
    image = np.clip(image, 0, 255).astype(np.uint8)
    if jpeg:
        ok, enc = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg)])
        image = cv2.imdecode(enc, cv2.IMREAD_COLOR)
    return Scene(image, boxes, numbers)


# ---------------------------------------------------------------- backdrops: what is behind a page

def wood(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Floorboards: planks of slightly different tone with grain and dark gaps between them."""
    vertical = rng.random() < 0.5
    n, m = (w, h) if vertical else (h, w)
    plank = int(rng.uniform(40, 160))
    base = np.array(rng.uniform([30, 60, 90], [120, 160, 210]), np.float32)
    img = np.empty((n, m, 3), np.float32)
    pos = 0
    while pos < n:
        size = int(plank * rng.uniform(0.8, 1.2))
        tone = base * rng.uniform(0.8, 1.15)
        grain = np.cumsum(rng.normal(0, 1.0, m)).astype(np.float32)
        grain = (grain - grain.mean()) / (grain.std() + 1e-6)
        rows = rng.normal(0, 0.5, (min(size, n - pos), 1)).astype(np.float32)
        img[pos:pos + size] = tone * (1 + 0.06 * (grain[None] + rows))[..., None]
        gap = int(rng.integers(1, 5))
        img[pos + size - gap:pos + size] *= rng.uniform(0.25, 0.6)
        pos += size
    img = img if not vertical else img.transpose(1, 0, 2)
    return img[:h, :w]


def wall(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A bright wall or window behind a page held up: evenly lit, brighter than most paper."""
    light = _light(h, w, rng, 0.1)
    img = np.ones((h, w, 3), np.float32) * (rng.uniform(0.93, 1.0, 3) * rng.uniform(215, 255)).astype(np.float32)
    return img * light[..., None] + rng.normal(0, 2, (h, w, 3)).astype(np.float32)


def fabric(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    colour = np.array(rng.uniform(0, 255, 3), np.float32)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), rng.uniform(0.8, 4))
    noise /= noise.std() + 1e-6
    img = colour * (1 + rng.uniform(0.05, 0.3) * noise)[..., None]
    if rng.random() < 0.4:  # folds and creases
        for _ in range(int(rng.integers(2, 8))):
            p = rng.uniform(0, [w, h], 2).astype(int)
            q = rng.uniform(0, [w, h], 2).astype(int)
            cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), tuple(float(c) for c in colour * rng.uniform(0.3, 0.7)),
                     int(rng.integers(2, 12)))
        img = cv2.GaussianBlur(img, (0, 0), 3)
    return img


def stripes(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    period = rng.uniform(6, 60)
    angle = rng.uniform(0, np.pi)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (gx * np.cos(angle) + gy * np.sin(angle)) / period
    duty = rng.uniform(0.1, 0.5)
    stripe = ((t - np.floor(t)) < duty).astype(np.float32)
    a, b = np.array(rng.uniform(0, 255, 3), np.float32), np.array(rng.uniform(0, 255, 3), np.float32)
    return a * (1 - stripe[..., None]) + b * stripe[..., None]


def wire_frame(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A wire-frame wallpaper: a family of thin bending lines, cut into short straight pieces by
    a second family of bolder lines of the other shade drawn across them."""
    a, b = np.array(rng.uniform(60, 150, 3), np.float32), np.array(rng.uniform(60, 150, 3), np.float32)
    across_frame = np.broadcast_to(np.arange(w, dtype=np.float32) / w, (h, w))   # a colour gradient
    img = a + (b - a) * across_frame[..., None]
    light = rng.random() < 0.5
    thin = (215.0, 222.0, 228.0) if light else (25.0, 25.0, 30.0)
    bold = tuple(float(c) for c in img.mean(axis=(0, 1)) * (0.45 if light else 1.6))
    slant, spacing, wave = rng.uniform(-0.35, 0.35), rng.uniform(28, 60), rng.uniform(8, 30)
    ys = np.arange(0, h, 2, dtype=np.float32)
    for x0 in np.arange(-0.5 * w, 1.5 * w, spacing):
        xs = x0 + slant * ys + wave * np.sin(ys / rng.uniform(100, 200) + x0 / 300)
        cv2.polylines(img, [np.stack([xs, ys], 1).astype(np.int32)], False, thin, 1, cv2.LINE_AA)
    xs = np.arange(0, w, 2, dtype=np.float32)
    across, pitch = rng.uniform(-0.15, 0.15), rng.uniform(24, 40)
    for y0 in np.arange(-0.3 * h, 1.3 * h, pitch):
        yv = y0 + across * xs + 12 * np.sin(xs / 200 + y0 / 90)
        cv2.polylines(img, [np.stack([xs, yv], 1).astype(np.int32)], False, bold, int(rng.integers(2, 4)), cv2.LINE_AA)
    return img + rng.normal(0, 2, img.shape).astype(np.float32)


RECLINE_DISTANCE = 1.5   # a reclined page's camera stands this many frame widths from its centre


def _reclined(flat: np.ndarray, recline: float, width: int) -> np.ndarray:
    """Points (N, 2) of a page about its centre, the page turned ``recline`` degrees about its
    horizontal axis and seen by a pinhole camera RECLINE_DISTANCE frame widths (``width``) away:
    a point above the centre goes back (further, smaller)."""
    r, d = np.deg2rad(recline), RECLINE_DISTANCE * width
    depth = (d - flat[:, 1:2] * np.sin(r)) / d
    return np.hstack([flat[:, :1], flat[:, 1:2] * np.cos(r)]) / depth


def held_up_page(scene: Scene, back: np.ndarray, rng: np.random.Generator, tilt_deg: float = 8.0,
                 fill: tuple[float, float] = (0.55, 0.8), lean: float = 0.0, recline: float = 0.0,
                 lower: float = 0.0) -> Scene:
    """``scene`` (a page) seen by a camera in front of ``back`` (float BGR, the frame's size):
    turned a little (up to ``tilt_deg`` either way, besides ``lean`` degrees counter-clockwise), in
    perspective, part of the frame; the true boxes follow the page. ``recline``: degrees its top
    leans away from the camera (90: a page lying on the desk seen edge-on): its height foreshortened
    by the cosine, its far edge narrower, as a webcam sees a sheet lying on the desk before it.
    ``lower``: the page this share of the frame's height lower (its near edge under the frame's
    bottom, with ``fill`` over 1 its sides out of it too); only the digits wholly in view are kept."""
    h, w = back.shape[:2]
    ph, pw = scene.image.shape[:2]
    src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
    s = rng.uniform(*fill) * min(h / ph, w / pw)
    a = np.deg2rad(rng.uniform(-tilt_deg, tilt_deg) - lean)   # (a turns the page clockwise on screen)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]], np.float32) * s
    centre = np.array([w * rng.uniform(0.4, 0.6), h * (rng.uniform(0.42, 0.58) + lower)], np.float32)
    flat = (src - [pw / 2, ph / 2]) @ rot
    if recline:
        flat = _reclined(flat, recline, w)
    dst = flat + centre + rng.normal(0, 0.02, (4, 2)).astype(np.float32) * [pw * s, ph * s]
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    page = scene.image.astype(np.float32)
    if s < 1.0:
        # a lens and a sensor average the light over each pixel: a page shrunk without it would
        # show its 1 px rules as dashes and its thin strokes broken, which no camera gives
        page = cv2.GaussianBlur(page, (0, 0), 0.5 * np.sqrt(1.0 / s**2 - 1.0))
    page = cv2.warpPerspective(page, m, (w, h))
    cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), m, (w, h))[..., None]
    image = np.clip(back * (1 - cover) + page * cover, 0, 255).astype(np.uint8)
    boxes = []
    for bx, by, bw, bh, lab in scene.boxes:
        q = cv2.perspectiveTransform(np.float32([[bx, by], [bx + bw, by], [bx + bw, by + bh], [bx, by + bh]])[None], m)[0]
        x0, y0 = np.floor(q.min(axis=0)).astype(int)
        x1, y1 = np.ceil(q.max(axis=0)).astype(int)
        if not lower or (x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h):
            boxes.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0), lab))
    return Scene(image, boxes, scene.numbers)


def typeset_sudoku(rng: np.random.Generator, face: str = "DejaVuSans.ttf", clues: int | None = None,
                   cell: int = 64, margin: int = 24) -> Scene:
    """A sudoku puzzle typeset in ``face``, a TrueType font that ships with matplotlib (DejaVu
    Sans: the sans-serif kind newspapers print): ``clues`` printed digits 1-9 (22 to 33 when None)
    at half to three quarters of a cell, thin cell lines, thick box lines."""
    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    side = 9 * cell + 2 * margin
    img = Image.new("L", (side, side), 240)
    draw = ImageDraw.Draw(img)
    for k in range(10):
        width = 5 if k % 3 == 0 else 1
        draw.line([(margin + k * cell, margin), (margin + k * cell, margin + 9 * cell)], fill=25, width=width)
        draw.line([(margin, margin + k * cell), (margin + 9 * cell, margin + k * cell)], fill=25, width=width)
    font = ImageFont.truetype(str(Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / face),
                              int(cell * rng.uniform(0.55, 0.75)))
    boxes = []
    for k in rng.permutation(81)[: clues or int(rng.integers(22, 34))]:
        r, c = divmod(int(k), 9)
        label = int(rng.integers(1, 10))
        centre = (margin + c * cell + cell / 2, margin + r * cell + cell / 2)
        draw.text(centre, str(label), fill=int(rng.integers(0, 50)), font=font, anchor="mm")
        boxes.append((*_ink_box(str(label), font, centre), label))
    return Scene(np.repeat(np.asarray(img)[..., None], 3, axis=2), boxes)


def _ink_box(text: str, font, centre: tuple[float, float]) -> tuple[int, int, int, int]:
    """The box (x, y, w, h) of the ink of ``text`` drawn centred at ``centre``: a face's text box
    holds its glyphs' side bearings too (URW Gothic's 1 is 11 pixels of ink in a box 27 wide)."""
    from PIL import Image, ImageDraw

    x0, y0, x1, y1 = (int(v) for v in ImageDraw.Draw(Image.new("L", (1, 1))).textbbox(centre, text, font=font, anchor="mm"))
    mask = Image.new("L", (x1 - x0 + 2, y1 - y0 + 2), 0)
    ImageDraw.Draw(mask).text((centre[0] - x0 + 1, centre[1] - y0 + 1), text, fill=255, font=font, anchor="mm")
    ys, xs = np.nonzero(np.asarray(mask) > 100)
    if ys.size == 0:
        return x0, y0, x1 - x0, y1 - y0
    return x0 - 1 + int(xs.min()), y0 - 1 + int(ys.min()), int(xs.max() - xs.min()) + 1, int(ys.max() - ys.min()) + 1


def specks(h: int, w: int, rng: np.random.Generator, count: int = 600) -> np.ndarray:
    """Stripes strewn with dark and light specks: the worst case for a region finder."""
    img = stripes(h, w, rng)
    for _ in range(count):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        cv2.circle(img, c, int(rng.integers(1, 5)), tuple(float(v) for v in rng.uniform(0, 255, 3)), -1)
    return img


# ---------------------------------------------------------------- video: a page held up to a camera

@dataclass
class VideoTruth:
    """Per frame, the true boxes (x, y, w, h, label, digit id) of the digits a viewer can see."""

    frames: list[list[tuple]]
    fps: float
    size: tuple[int, int]  # width, height


def moving_page_video(path: Path, scene: Scene, frames: int, rng: np.random.Generator, size: tuple[int, int] = (720, 1280),
                      fps: float = 30.0, fill: float = 0.6, tilt: float = 15.0, speed: float = 1.0, hand: bool = True,
                      blur: bool = True, backdrop: str = "wood", lean: float = 0.0, recline: float = 0.0) -> VideoTruth:
    """A video of ``scene`` (a page) held up in front of a backdrop: it drifts and sways (``speed``
    1: up to about a digit's width a frame at its fastest), tilts by up to ``tilt`` degrees, the
    light changes, fast motion blurs it, and a hand passes over part of it; the truth holds the
    digits not covered by the hand; ``lean``: degrees the page is held turned, besides the sway;
    ``recline``: degrees its top leans away from the camera (a sheet lying on the desk, moved
    about on it; see :func:`held_up_page`). Written as MJPG AVI to ``path``."""
    h, w = size
    back = np.clip((wood if backdrop == "wood" else fabric)(h, w, rng), 0, 255).astype(np.float32)
    ph, pw = scene.image.shape[:2]
    s = fill * min(h / ph, w / pw)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    page = scene.image.astype(np.float32)
    ones = np.ones((ph, pw), np.float32)
    truth = []
    phase = rng.uniform(0, 2 * np.pi, 4)
    for i in range(frames):
        t = i / fps
        # a hand-held sheet: slow sway plus a quicker drift, as a page is raised and steadied
        cx = w / 2 + speed * (0.12 * w * np.sin(0.9 * t + phase[0]) + 0.04 * w * np.sin(2.3 * t + phase[1]))
        cy = h / 2 + speed * (0.08 * h * np.sin(0.7 * t + phase[2]))
        angle = lean + tilt * np.sin(0.5 * t + phase[3])
        m = cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, s * (1 + 0.05 * np.sin(0.4 * t)))
        m[:, 2] += (cx - pw / 2, cy - ph / 2)
        if recline:   # the page's corners as a sheet lying on the desk shows them: a 3x3 map
            src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
            flat = np.hstack([src, np.ones((4, 1), np.float32)]) @ m.T - (cx, cy)
            m = cv2.getPerspectiveTransform(src, (_reclined(flat, recline, w) + (cx, cy)).astype(np.float32))
            frame, cover = cv2.warpPerspective(page, m, (w, h)), cv2.warpPerspective(ones, m, (w, h))[..., None]
        else:
            frame = cv2.warpAffine(page, m, (w, h))
            cover = cv2.warpAffine(ones, m, (w, h))[..., None]
        frame = back * (1 - cover) + frame * cover
        frame *= 0.85 + 0.15 * np.sin(0.6 * t)        # the light changes
        if blur and i > 0:                            # motion blur along the page's movement
            dx, dy = cx - prev[0], cy - prev[1]
            length = int(min(15, np.hypot(dx, dy) * 0.5))
            if length >= 2:
                ux, uy = np.array([dx, dy]) / np.hypot(dx, dy) * length / 2
                k = np.zeros((2 * length + 1, 2 * length + 1), np.float32)
                cv2.line(k, (int(length - ux), int(length - uy)), (int(length + ux), int(length + uy)), 1.0, 1)
                frame = cv2.filter2D(frame, -1, k / k.sum())
        prev = (cx, cy)
        covered = np.zeros((h, w), bool)
        if hand and frames > 10 and 0.55 * frames <= i < 0.75 * frames:   # a hand passes over the page
            u = (i - 0.55 * frames) / (0.2 * frames)
            hx, hy = int(-0.1 * w + 1.2 * w * u), int(0.75 * h)
            mask = np.zeros((h, w), np.uint8)
            cv2.ellipse(mask, (hx, hy), (int(0.07 * w), int(0.1 * h)), 20, 0, 360, 255, -1)
            cv2.rectangle(mask, (hx - int(0.05 * w), hy), (hx + int(0.05 * w), h), 255, -1)
            covered = mask > 0
            frame[covered] = (120, 150, 205)
        writer.write(np.clip(frame, 0, 255).astype(np.uint8))
        boxes = []
        for k, (bx, by, bw, bh, label) in enumerate(scene.boxes):
            q = np.array([[bx, by, 1], [bx + bw, by, 1], [bx + bw, by + bh, 1], [bx, by + bh, 1]], float) @ m.T
            q = q[:, :2] / q[:, 2:] if m.shape[0] == 3 else q
            (x0, y0), (x1, y1) = q.min(axis=0), q.max(axis=0)
            mx, my = int((x0 + x1) / 2), int((y0 + y1) / 2)
            if 0 <= mx < w and 0 <= my < h and not covered[max(0, int(y0)):int(y1) + 1, max(0, int(x0)):int(x1) + 1].any():
                boxes.append((x0, y0, x1 - x0, y1 - y0, label, k))
        truth.append(boxes)
    writer.release()
    return VideoTruth(truth, fps, (w, h))

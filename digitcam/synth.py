"""Synthetic labelled scenes: handwritten digits rendered onto paper, for tests and benchmarks.

Digits (MNIST images, or any 28x28 white-on-black arrays) are scaled up, given a pen colour and
width, and laid out in numbers along lines on paper with uneven light, optional ruled or squared
lines, perspective, blur, noise and JPEG compression. The true box and label of every digit
come with the image, so recall and precision can be measured exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 + rng.uniform(-0.18, 0.18) * (gx / w - 0.5) * 2 + rng.uniform(-0.18, 0.18) * (gy / h - 0.5) * 2
    return page * light[..., None]


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

"""Augmentation that makes MNIST look like what the camera and scanner paths produce.

Two kinds, both documented in the model card:

* ``render_realistic``: offline, in NumPy/OpenCV. An MNIST digit is drawn large on synthetic
  paper (uneven light, paper grain, ink colour, pen width, blur, noise, JPEG), then put through
  the very same region finder and :func:`digitcam.normalise.normalise` as a live frame.
* ``make_negatives``: "not a digit" crops (ruled lines, grid corners, specks, smudges, letters,
  page edges, shadows) through the same path, for class 10.
* ``keras_augmenter``: online, per batch: rotation, scale, shear, shift, stroke thickness, blur,
  noise and contrast on the 28x28 images.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from digitcam.normalise import normalise
from digitcam.regions import find_regions, region_mask


@dataclass(frozen=True)
class AugmentConfig:
    rotation_deg: float = 10.0
    zoom: float = 0.1
    shift: float = 0.08
    shear: float = 0.15
    p_thickness: float = 0.3
    p_blur: float = 0.15
    p_contrast: float = 0.3
    p_noise: float = 0.3
    noise_std: float = 0.04
    contrast_low: float = 0.6
    realistic_fraction: float = 0.5   # realistic renders per MNIST training digit
    negative_fraction: float = 0.08   # "not a digit" crops per MNIST training digit

    def to_dict(self) -> dict:
        return asdict(self)


def _paper(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Paper with a brightness gradient, grain and a random tint level."""
    base = rng.uniform(140, 245)
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    slope = rng.uniform(-0.6, 0.6, 2) * 60 / max(h, w)
    paper = base + slope[0] * (gy - h / 2) + slope[1] * (gx - w / 2)
    paper += rng.normal(0, rng.uniform(1, 6), (h, w))
    return paper.astype(np.float32)


def _finish(page: np.ndarray, rng: np.random.Generator, light_on_dark: bool) -> np.ndarray:
    if light_on_dark:
        page = 255 - page
    if rng.random() < 0.5:
        page = cv2.GaussianBlur(page, (0, 0), rng.uniform(0.4, 1.4))
    page = np.clip(page + rng.normal(0, rng.uniform(0, 5), page.shape), 0, 255).astype(np.uint8)
    if rng.random() < 0.5:
        ok, enc = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(35, 95))])
        page = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    return page


def _through_engine(page: np.ndarray) -> np.ndarray | None:
    """Normalise the biggest region the engine finds on a page, as live mode would."""
    regions = find_regions(page)
    if len(regions) == 0:
        return None
    i = int(np.argmax(regions.boxes[:, 2] * regions.boxes[:, 3]))
    (x, y, w, h), mask = region_mask(regions, i, page.shape[:2])
    return normalise(page[y:y + h, x:x + w], mask)


def _ink_page(ink: np.ndarray, rng: np.random.Generator, light_on_dark: bool) -> np.ndarray:
    """Composite an ink-coverage map (float [0, 1]) onto paper, with a margin."""
    m = int(ink.shape[0] * rng.uniform(0.3, 0.8)) + 4
    ink = cv2.copyMakeBorder(ink, m, m, m, m, cv2.BORDER_CONSTANT, value=0)
    paper = _paper(*ink.shape, rng)
    darkness = rng.uniform(0.35, 0.9)
    return _finish(paper * (1 - darkness * ink), rng, light_on_dark)


def render_realistic(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """One MNIST digit (28x28 uint8) photographed on paper and re-normalised by the engine."""
    height = int(rng.uniform(18, 110))
    big = cv2.resize(digit, (height, height), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    pen = rng.choice(["thin", "same", "thick"], p=[0.35, 0.4, 0.25])
    if pen != "same" and height > 30:
        k = max(2, int(height / 28 * rng.uniform(0.6, 1.4)))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
        big = cv2.erode(big, kernel) if pen == "thin" else cv2.dilate(big, kernel)
        if big.max() < 0.3:
            return None
    if rng.random() < 0.5:  # perspective: a page seen slightly from the side
        h, w = big.shape
        d = rng.uniform(-0.12, 0.12, (4, 2)) * [w, h]
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        big = cv2.warpPerspective(big, cv2.getPerspectiveTransform(src, (src + d).astype(np.float32)), (w, h))
    ink = np.clip((big - 0.25) / 0.5, 0, 1)
    return _through_engine(_ink_page(ink, rng, rng.random() < 0.2))


# Printed letters and symbols, but none that a handwritten digit is commonly shaped like
# (O o D Q, l I i j, Z z, S s, b G, T, B, g q).
_LETTERS = "ACEFHKMNPRUVWXYacefhkmnprtuvwxy#%&@*+=<>?"


def _negative_ink(rng: np.random.Generator) -> np.ndarray:
    """Ink coverage of something that is not a digit."""
    s = int(rng.uniform(24, 100))
    ink = np.zeros((s, s), np.uint8)
    kind = rng.integers(0, 7)
    t = int(max(1, s * rng.uniform(0.03, 0.12)))
    if kind == 0:  # a piece of a ruled line, maybe with a grid crossing
        y = int(rng.uniform(0.2, 0.8) * s)
        cv2.line(ink, (0, y), (s, y + int(rng.uniform(-3, 3))), 255, t)
        if rng.random() < 0.5:  # a grid crossing (a lone vertical rule would look like a 1)
            x = int(rng.uniform(0.2, 0.8) * s)
            cv2.line(ink, (x, 0), (x, s), 255, t)
    elif kind == 1:  # specks and dust
        for _ in range(int(rng.integers(3, 30))):
            cv2.circle(ink, tuple(int(v) for v in rng.uniform(0, s, 2)), int(rng.integers(1, 3)), 255, -1)
    elif kind == 2:  # a smudge or blob
        for _ in range(int(rng.integers(1, 4))):
            c = tuple(int(v) for v in rng.uniform(0.3, 0.7, 2) * s)
            r = s * rng.uniform(0.08, 0.25)
            cv2.ellipse(ink, c, (int(r), int(r * rng.uniform(0.6, 1.0))),
                        float(rng.uniform(0, 180)), 0, 360, 255, -1)
    elif kind == 3:  # a letter or symbol
        ch = _LETTERS[int(rng.integers(len(_LETTERS)))]
        font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX]))
        scale = s / 40
        cv2.putText(ink, ch, (int(s * 0.15), int(s * 0.8)), font, scale, 255, max(1, t // 2), cv2.LINE_AA)
    elif kind == 4:  # the edge of a page, a shadow or a finger: a big dark half
        pts = rng.uniform(0, s, (2, 2))
        poly = np.array([[0, 0], [s, 0], pts[0], pts[1]], np.int32) if rng.random() < 0.5 else np.array([[0, s], [s, s], pts[0], pts[1]], np.int32)
        cv2.fillPoly(ink, [poly], 255)
    elif kind == 5:  # a rectangle outline or a box corner
        cv2.rectangle(ink, (t, t), (s - t - 1, int(s * rng.uniform(0.3, 0.9))), 255, t)
    else:  # random scribble of short strokes, not shaped like a digit
        for _ in range(int(rng.integers(3, 6))):  # one lone stroke would look like a 1
            p = rng.uniform(0, s, 2)
            q = p + rng.normal(0, s / 6, 2)
            cv2.line(ink, tuple(int(v) for v in p), tuple(int(v) for v in q), 255, t)
    return ink.astype(np.float32) / 255


def make_negatives(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` normalised 28x28 "not a digit" crops."""
    out = []
    while len(out) < count:
        crop = _through_engine(_ink_page(_negative_ink(rng), rng, rng.random() < 0.2))
        if crop is not None and crop.any():
            out.append(crop)
    return np.asarray(out, np.float32)


def make_realistic(x: np.ndarray, y: np.ndarray, count: int, rng: np.random.Generator, progress=None) -> tuple[np.ndarray, np.ndarray]:
    """``count`` realistic renders of random training digits, with their labels."""
    idx = rng.choice(len(x), size=count, replace=False if count <= len(x) else True)
    crops, labels = [], []
    for n, i in enumerate(idx):
        crop = render_realistic(x[i], rng)
        if crop is not None and crop.any():
            crops.append(crop)
            labels.append(y[i])
        if progress is not None and n % 500 == 0:
            progress(n)
    return np.asarray(crops, np.float32), np.asarray(labels, np.int32)


def keras_augmenter(config: AugmentConfig, seed: int = 0):
    """A Keras layer stack that augments batches of (N, 28, 28, 1) digits in [0, 1]."""
    import keras
    import tensorflow as tf
    from keras import layers

    geometric = keras.Sequential([
        layers.RandomRotation(config.rotation_deg / 360.0, fill_mode="constant", seed=seed),
        layers.RandomZoom(config.zoom, fill_mode="constant", seed=seed + 1),
        layers.RandomShear(x_factor=config.shear, y_factor=0.0, fill_mode="constant", seed=seed + 2),
        layers.RandomTranslation(config.shift, config.shift, fill_mode="constant", seed=seed + 3),
    ], name="geometric")

    def photometric(x):
        n = tf.shape(x)[0]
        pick = lambda p: tf.cast(tf.random.uniform((n, 1, 1, 1)) < p, x.dtype)  # noqa: E731
        thick = tf.nn.max_pool2d(x, 3, 1, "SAME")
        thin = -tf.nn.max_pool2d(-x, 2, 1, "SAME")
        p = config.p_thickness / 2
        x = x + pick(p) * (thick - x)
        x = x + pick(p) * (thin - x)
        blurred = tf.nn.avg_pool2d(x, 3, 1, "SAME")
        x = x + pick(config.p_blur) * (blurred - x)
        dim = tf.random.uniform((n, 1, 1, 1), config.contrast_low, 1.0)
        x = x * (1.0 + pick(config.p_contrast) * (dim - 1.0))
        x = x + tf.random.normal(tf.shape(x), 0, config.noise_std) * pick(config.p_noise)
        return tf.clip_by_value(x, 0.0, 1.0)

    def augment(x):
        return photometric(geometric(x, training=True))

    return augment

"""Finding digit-like regions in a frame: page level, ink masks, ruled lines out, components, strokes merged.

Everything here works on a whole frame at once with OpenCV; the only Python loops run over the
few dozen connected components that survive the size filters.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DARK, LIGHT = 0, 1  # ink polarity: dark ink on light paper, or light ink on a dark board
LIGHT_INK_MAX_BG = 120  # light ink needs a background darker than this (board, screen, canvas)
DARK_INK_MIN_BG = 45    # dark ink needs a background lighter than this (paper, even in shadow)


@dataclass(frozen=True)
class FindConfig:
    """Tunable geometry of the region finder, in pixels of the working image."""

    min_height: int = 12          # smaller regions are noise (digits from ~15 px are read)
    max_height_frac: float = 0.95  # taller than this fraction of the frame: an edge or a hand
    min_contrast: int = 14        # grey levels between ink and the page (or board) under it
    min_fill: float = 0.04        # ink pixels / box area; lower is a thin frame or a line grid
    max_aspect: float = 4.5       # width / height above this: a line, not digits
    min_aspect: float = 0.04      # a "1" is thin, but not a hair (nor a leftover piece of a rule:
                                  # regions narrower than max(3 px, 6% of their height) are dropped)


@dataclass
class LabelMap:
    """Connected-component labels of the part of the frame that holds ink (its bounding rect)."""

    labels: np.ndarray  # uint16 or int32 labels of the rect; 0 is background
    x: int = 0
    y: int = 0

    def crop(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Labels of the frame box [x0, x1) x [y0, y1); zero where the box leaves the rect."""
        out = np.zeros((y1 - y0, x1 - x0), self.labels.dtype)
        h, w = self.labels.shape
        ax0, ay0 = max(x0, self.x), max(y0, self.y)
        ax1, ay1 = min(x1, self.x + w), min(y1, self.y + h)
        if ax1 > ax0 and ay1 > ay0:
            out[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = self.labels[ay0 - self.y:ay1 - self.y, ax0 - self.x:ax1 - self.x]
        return out


EMPTY_LABELS = LabelMap(np.zeros((0, 0), np.uint16))


@dataclass
class Regions:
    """Candidate regions of one frame: boxes (N, 4) as x, y, w, h and the component labels."""

    boxes: np.ndarray             # int32 (N, 4)
    polarity: np.ndarray          # int8 (N,), DARK or LIGHT
    members: list[np.ndarray]     # component ids of each region in its polarity's label map
    labels: tuple[LabelMap, LabelMap]  # component labels (dark, light) of the working image

    def __len__(self) -> int:
        return len(self.boxes)


def _strokes(contrast: np.ndarray, min_contrast: int) -> np.ndarray:
    """Where strokes stand out by more than ``min_contrast``, widened by a pixel for their rims."""
    return cv2.dilate((contrast > min_contrast).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


def backgrounds(gray: np.ndarray, min_contrast: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """The page without its ink, twice: (paper under dark ink, board under light ink).

    The page level is a median over windows a quarter of the frame's short side: robust to
    paper grain, and it follows uneven light and shadows. Where bold strokes fill more than
    half of a window, or near the edge of a page held up in a dark room, the median turns into
    ink; there a closing over a sixth of the frame (which removes dark strokes however bold) is
    higher and wins. The board under light ink is found the same way round with an opening.
    Strokes of the frame's minority polarity are taken out first (on a bright page the dark
    ones before the board's median, on a dark board the light ones before the paper's), or the
    page between bold strokes would look like ink of the other polarity. Both are computed on
    a small copy of the frame, so they are cheap at any resolution.
    """
    h, w = gray.shape
    f = max(1, min(h, w) // 72)
    if f > 1:
        small = cv2.resize(gray, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    else:
        small = cv2.GaussianBlur(gray, (3, 3), 0)
    window = min(max(3, min(small.shape) // 4) | 1, 255)
    median = cv2.medianBlur(small, window)
    bright = float(np.median(small)) >= 100
    # removes strokes up to a sixth of the frame thick
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, min(small.shape) // 6) | 1,) * 2)

    def morph(img: np.ndarray, op: int) -> np.ndarray:
        return cv2.morphologyEx(img, op, kernel, borderType=cv2.BORDER_REPLICATE)

    if bright:
        closed = morph(small, cv2.MORPH_CLOSE)
        ink = _strokes(cv2.subtract(closed, small), min_contrast)
        paper = np.maximum(median, closed)
        board = cv2.medianBlur(np.where(ink, closed, small), window)
    else:
        opened = morph(small, cv2.MORPH_OPEN)
        unlit = np.where(_strokes(cv2.subtract(small, opened), min_contrast), opened, small)
        paper = np.maximum(cv2.medianBlur(unlit, window), morph(unlit, cv2.MORPH_CLOSE))
        board = np.minimum(median, opened)
    out = []
    for bg in (paper, board):
        bg = cv2.blur(bg, (3, 3))
        out.append(cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR) if f > 1 else bg)
    return out[0], out[1]


def binarize(gray: np.ndarray, min_contrast: int = 14,
             bgs: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ink masks (dark ink, light ink): pixels darker than the paper, or lighter than the board."""
    paper, board = backgrounds(gray, min_contrast) if bgs is None else bgs
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    dark = cv2.threshold(cv2.subtract(paper, smooth), min_contrast, 255, cv2.THRESH_BINARY)[1]
    light = cv2.threshold(cv2.subtract(smooth, board), min_contrast, 255, cv2.THRESH_BINARY)[1]
    return dark, light


def remove_lines(mask: np.ndarray) -> np.ndarray:
    """Remove ruled lines (long, thin, horizontal or vertical) from an ink mask.

    A rule spans a large part of the frame and is only a few pixels thick; a digit's bar, even a
    long one in a close-up, is shorter or thicker. Small gaps (noise, faint print) are bridged
    before measuring length. Strokes that crossed a rule are cut by its removal; a short closing
    across the cut joins them again.
    """
    h, w = mask.shape
    thin = max(4, min(h, w) // 100)
    rect = cv2.getStructuringElement

    def rules(length: tuple[int, int], bridge: tuple[int, int], thick: tuple[int, int]) -> np.ndarray:
        bridged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, bridge))
        long_runs = cv2.bitwise_and(cv2.morphologyEx(bridged, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, length)), mask)
        # thickness is measured across the run in the whole mask: where a stroke crosses the rule,
        # or along the edge of a thick bar, the ink is thick and stays
        return cv2.subtract(long_runs, cv2.morphologyEx(mask, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, thick)))

    horiz = rules((max(w * 2 // 5, 40), 1), (21, 1), (1, thin + 1))
    vert = rules((1, max(h * 2 // 5, 40)), (1, 21), (thin + 1, 1))
    if not horiz.any() and not vert.any():
        return mask
    out = cv2.subtract(mask, cv2.bitwise_or(horiz, vert))
    if horiz.any():
        out = cv2.morphologyEx(out, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, thin + 3)))
    if vert.any():
        out = cv2.morphologyEx(out, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (thin + 3, 1)))
    return out


def _has_lines(stats: np.ndarray, h: int, w: int) -> bool:
    """Whether any component is long enough to be, or to contain a piece of, a ruled line."""
    if len(stats) == 0:
        return False
    return bool(((stats[:, 2] >= max(w // 5, 40)) | (stats[:, 3] >= max(h // 3, 40))).any())


def _components(mask: np.ndarray) -> tuple[LabelMap, np.ndarray]:
    """Connected components of the ink's bounding rect only (most of a page is empty paper).

    Returns the label map and each component's stats (x, y, w, h, area) in frame pixels.
    """
    if cv2.countNonZero(mask) == 0:
        return EMPTY_LABELS, np.zeros((0, 5), np.int32)
    x, y, w, h = cv2.boundingRect(mask)
    roi = mask[y:y + h, x:x + w]
    try:  # 16-bit labels halve the memory traffic; a very noisy mask may need 32 bits
        _, labels, stats, _ = cv2.connectedComponentsWithStats(roi, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:
        _, labels, stats, _ = cv2.connectedComponentsWithStats(roi, connectivity=8, ltype=cv2.CV_32S)
    stats = stats[1:].copy()  # drop the background; component i has label i + 1
    stats[:, 0] += x
    stats[:, 1] += y
    return LabelMap(labels, x, y), stats


def _join_matrix(boxes: np.ndarray) -> np.ndarray:
    """Which pairs of boxes (float x, y, w, h) are pieces of one digit (see merge_strokes)."""
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    w, h = boxes[:, 2], boxes[:, 3]
    ox = np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None])
    gy = np.maximum(y0[:, None], y0[None]) - np.minimum(y1[:, None], y1[None])
    minw = np.minimum(w[:, None], w[None])
    maxh = np.maximum(h[:, None], h[None])
    minh = np.minimum(h[:, None], h[None])
    merged_h = np.maximum(y1[:, None], y1[None]) - np.minimum(y0[:, None], y0[None])
    merged_w = np.maximum(x1[:, None], x1[None]) - np.minimum(x0[:, None], x0[None])
    join = ((ox >= 0.5 * minw) & (gy <= 0.25 * maxh) & (merged_h <= 2.1 * maxh) & (merged_w <= 1.2 * merged_h)
            & (maxh <= 8 * minh))  # a stroke of a digit is not tiny next to the rest of it
    np.fill_diagonal(join, False)
    return join


def merge_strokes(boxes: np.ndarray) -> list[list[int]]:
    """Group boxes that belong to one digit written in several strokes.

    Two pieces merge when they overlap horizontally by half the narrower one and the vertical
    gap between them is small next to their height (the flag of a 5, a broken 7), or when one
    sits inside the other. Digits side by side barely overlap horizontally and stay apart.
    Every joinable pair is merged in one pass, and passes repeat on the merged boxes until
    nothing joins, so a noisy frame with hundreds of specks costs a few passes, not hundreds.
    """
    groups = [[i] for i in range(len(boxes))]
    cur = boxes.astype(np.float64)
    while len(groups) > 1:
        join = _join_matrix(cur)
        if not join.any():
            break
        parent = list(range(len(groups)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in np.argwhere(np.triu(join)):
            parent[root(int(j))] = root(int(i))
        _, part = np.unique([root(i) for i in range(len(groups))], return_inverse=True)
        merged: list[list[int]] = [[] for _ in range(part.max() + 1)]
        for i, p in enumerate(part):
            merged[p] += groups[i]
        groups = merged
        lo = np.full((len(groups), 2), np.inf)
        hi = np.full((len(groups), 2), -np.inf)
        np.minimum.at(lo, part, cur[:, :2])
        np.maximum.at(hi, part, cur[:, :2] + cur[:, 2:])
        cur = np.concatenate([lo, hi - lo], axis=1)
    return groups


def _drop_nested(boxes: np.ndarray, polarity: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Keep-mask that drops solid regions lying mostly inside a larger region of the other polarity.

    The paper inside a dark "0" is lighter than its surroundings and shows up as a light region;
    the board between the bold strokes of a chalk digit shows up as dark ink. Neither is a digit,
    and both are solid blobs; a chalk digit on a dark patch of a bright page is made of strokes
    and stays.
    """
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    ix = np.clip(np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None]), 0, None)
    iy = np.clip(np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None]), 0, None)
    area = (boxes[:, 2] * boxes[:, 3]).astype(np.float64)
    mostly_inside = ix * iy >= 0.5 * area[:, None]
    other = polarity[:, None] != polarity[None]
    # a small region inside the box of a huge one (the page border, a shadow) is not a hole
    enclosing = (area[None] > area[:, None]) & (area[None] <= 40 * area[:, None])
    solid = (fill >= 0.6)[:, None]
    return ~(mostly_inside & other & enclosing & solid).any(axis=1)


def find_regions(gray: np.ndarray, config: FindConfig = FindConfig()) -> Regions:
    """Candidate digit regions of a uint8 grayscale frame, both ink polarities."""
    h, w = gray.shape
    bgs = backgrounds(gray, config.min_contrast)
    dark, light = binarize(gray, config.min_contrast, bgs)
    all_boxes, all_pol, all_members, all_fill, label_maps = [], [], [], [], []
    for pol, mask in ((DARK, dark), (LIGHT, light)):
        labels, stats = _components(mask)
        if _has_lines(stats, h, w):  # rules touching digits would glue them together: cut them out
            mask = remove_lines(mask)
            labels, stats = _components(mask)
        label_maps.append(labels)
        # Specks are noise, but a piece of a digit may be small: keep pieces from a third of the
        # minimum height, decide on whole (merged) regions below.
        keep = np.flatnonzero((stats[:, 3] >= config.min_height // 3) & (stats[:, 4] >= 6))
        if keep.size == 0:
            continue
        if keep.size > 400:  # a textured surface, not a page of digits: keep the biggest pieces
            keep = keep[np.argsort(stats[keep, 4])[-400:]]
        boxes = stats[keep, :4]
        for group in merge_strokes(boxes):
            ids = keep[group]
            gx0, gy0 = stats[ids, 0].min(), stats[ids, 1].min()
            gx1 = (stats[ids, 0] + stats[ids, 2]).max()
            gy1 = (stats[ids, 1] + stats[ids, 3]).max()
            bw, bh = gx1 - gx0, gy1 - gy0
            fill = stats[ids, 4].sum() / float(bw * bh)
            aspect = bw / float(bh)
            if (bh < config.min_height or bh > config.max_height_frac * h or fill < config.min_fill
                    or aspect > config.max_aspect or aspect < config.min_aspect or bw < max(3, 0.06 * bh)):
                continue
            if gx0 == 0 and gy0 == 0 and bw == w and bh == h:
                continue
            # Nothing is written lighter than white paper, nor darker than a blackboard: such
            # regions are the page between strokes, or glare.
            level = int(bgs[pol][gy0 + bh // 2, gx0 + bw // 2])
            if (pol == LIGHT and level > LIGHT_INK_MAX_BG) or (pol == DARK and level < DARK_INK_MIN_BG):
                continue
            all_boxes.append((gx0, gy0, bw, bh))
            all_fill.append(fill)
            all_pol.append(pol)
            all_members.append(ids + 1)
    if not all_boxes:
        empty = np.zeros((0, 4), np.int32)
        return Regions(empty, np.zeros(0, np.int8), [], (label_maps[0], label_maps[1]))
    boxes = np.asarray(all_boxes, np.int32)
    polarity = np.asarray(all_pol, np.int8)
    keep = _drop_nested(boxes, polarity, np.asarray(all_fill))
    return Regions(boxes[keep], polarity[keep], [m for m, k in zip(all_members, keep) if k], (label_maps[0], label_maps[1]))


def region_mask(regions: Regions, i: int, frame_shape: tuple[int, int], pad: int = 0) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The padded box of region ``i`` and its ink mask (255 where its own components are)."""
    x, y, w, h = (int(v) for v in regions.boxes[i])
    labels = regions.labels[int(regions.polarity[i])]
    H, W = frame_shape
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(W, x + w + pad), min(H, y + h + pad)
    crop = labels.crop(x0, y0, x1, y1)
    members = regions.members[i]
    hit = crop == members[0] if len(members) == 1 else np.isin(crop, members)
    mask = hit.view(np.uint8) * np.uint8(255)
    return (x0, y0, x1 - x0, y1 - y0), mask

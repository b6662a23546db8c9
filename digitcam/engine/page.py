"""Stage 0b, page: a sheet seen at a slant is read face-on.

A webcam looks down at a sheet lying on the desk, and a phone photographs a page at an angle: the
far rows come out flattened and smaller than the near ones, a page's rules break into faint dashes
that touch the digits, and the digits lean with the page. A document scanner finds the sheet's
four corners and warps it to a rectangle; so does this stage, and the engine reads the sheet
face-on as well as the frame as it is, keeping the surer reading (engine.reader).

The sheet is the largest convex quadrilateral across whose four sides the frame steps the same
way, as across a sheet's edge (:func:`find`). Its shape as a rectangle, width over height, follows from the perspective of
its corners (Zhang and He, "Whiteboard scanning and image enhancement", 2007): from the
camera's focal length where both pairs of sides converge, and from a typical webcam's where one
pair stays parallel (a sheet tipped about its horizontal axis only). A sheet running off the
frame, its near edge under a webcam looking down at it, shows three sides (or four, and a
corner out of view): a rectangle on it follows from them (:func:`_cut`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 480       # the sheet is looked for with the frame's longer side brought to this or under
MIN_AREA = 0.06       # share of the frame the sheet's quadrilateral covers at least
SIDE_SUPPORT = 0.7    # share of the points along each side where the frame steps across it the same way
LEVELS = 3            # the brighter part of the frame is taken at this many grey levels, from Otsu's
BRIGHTEST = 99        # threshold to this percentile (a sheet little brighter than a light desk). 3 / 5
                      # levels: sheets lying on a desk, 720p at 60 degrees 0.901 / 0.901, 640x480 at
                      # 60 degrees 0.778 / 0.724, at 45 degrees 0.906 / 0.907; 3 is 0.6 ms cheaper
HULL_SHARE = 0.75     # a quadrilateral covers this share of its outline's convex hull at least
MAX_ELONGATION = 6.0  # a sheet shows at most this many times longer than wide (letter paper lying at 75
                      # degrees before the camera: 5); a longer band is a line of writing or a plank
SNAP = 0.15           # a side of a bright part is moved up to this share of its length to lie on edges
SNAP_POINTS = 40      # points along a side, looking where it lies on edges
SNAPPED = 3           # only the largest this many outlines are snapped to edges
EDGE_STEP = 12        # grey levels a pixel of the working image: a step across a side, a strong edge
BORDER = 0.01         # a side along the frame's border (within this share of it) is no sheet's edge
FOCAL = 1.0           # a typical camera's focal length in units of the frame's longer side (a webcam
                      # sees 53-70 degrees across; the phone cameras of the dev set about 65)
MIN_SLANT = 1.15      # a sheet is read face-on when, face-on, it would be this many times taller or
                      # wider than it shows (or its far side this many times shorter than its near)
FAVOUR = 0.5          # summed confidence: the face-on reading is kept when it reads surer than the
                      # frame as it is by more than half a sure digit (as a levelled one, engine.tilt)
MAX_PIXELS = 2.5e6    # the face-on sheet's pixels at most (it is brought to the resolution of its
                      # side that shows largest, not more)


@dataclass
class Page:
    """A sheet's corners in frame pixels, top-left, top-right, bottom-right, bottom-left."""

    corners: np.ndarray        # (4, 2) float64
    support: float = 1.0       # the least share of any side's points where the frame steps across it
    outline: np.ndarray | None = None   # a sheet running off the frame: the part of it in view,
                                        # (n, 2); its corners are then a rectangle on it (see _cut)


def _ordered(quad: np.ndarray) -> np.ndarray:
    """A convex polygon's points clockwise on screen from the one nearest the image's top-left
    corner: for four, top-left, top-right, bottom-right, bottom-left."""
    q = quad.reshape(-1, 2).astype(np.float64)
    centre = q.mean(axis=0)
    q = q[np.argsort(np.arctan2(q[:, 1] - centre[1], q[:, 0] - centre[0]))]   # clockwise on screen
    start = int(np.argmin(q.sum(axis=1)))
    return np.roll(q, -start, axis=0)


def _quads(mask: np.ndarray, min_area: float) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Convex four-cornered outlines of a mask's large contours (or five-cornered ones along the
    frame's border: a sheet running off it past one of the frame's corners): each one's area,
    its polygon's corners (ordered) and the contour's points, to fit its sides to (:func:`_fitted`)."""
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    out = []
    for c in contours:
        if cv2.contourArea(c) < min_area:
            continue
        hull = cv2.convexHull(c)
        hull_area = cv2.contourArea(hull)
        perimeter = cv2.arcLength(hull, True)
        for eps in (0.01, 0.02, 0.03, 0.05):
            quad = cv2.approxPolyDP(hull, eps * perimeter, True)
            if len(quad) == 4 or (len(quad) == 5 and _border_side(quad.reshape(-1, 2), mask.shape[:2])):
                area = cv2.contourArea(quad)
                if area >= HULL_SHARE * hull_area:
                    out.append((float(area), _ordered(quad), c.reshape(-1, 2).astype(np.float64)))
                break
    return out


def _elongation(quad: np.ndarray) -> float:
    """How many times longer a quadrilateral is than wide, as it shows (its opposite sides' mean
    lengths)."""
    top, right, bottom, left = _sides(quad)
    return max(top + bottom, right + left) / max(min(top + bottom, right + left), 1e-9)


def _segments(quad: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]] | None:
    """Each side of ``quad`` as (start, direction, length); None where one is under 8 px (no
    line to fit or to move)."""
    out = []
    for a, b in zip(quad, np.roll(quad, -1, axis=0)):
        d = b - a
        length = float(np.hypot(*d))
        if length < 8:
            return None
        out.append((a, d, length))
    return out


def _fitted(quad: np.ndarray, points: np.ndarray, near: float = 3.0) -> np.ndarray | None:
    """``quad``'s corners where lines fitted to the ``points`` within ``near`` px of each side
    (its middle 80%) meet; None where a side has too few points or two sides do not meet."""
    segments = _segments(quad)
    lines = None if segments is None else [_line(a, d, length, points, near) for a, d, length in segments]
    if lines is None or any(line is None for line in lines):
        return None
    corners = _corners(lines)
    if corners is None or np.abs(corners - quad).max() > 0.1 * np.ptp(quad, axis=0).max():
        return None
    return corners


def _line(a: np.ndarray, d: np.ndarray, length: float, points: np.ndarray, near: float = 3.0) -> tuple | None:
    """The line (x0, y0, x1, y1) fitted to the ``points`` within ``near`` px of the side from
    ``a`` along ``d`` (its middle 80%); None where they are too few."""
    t = ((points - a) @ d) / length**2
    dist = np.abs((points[:, 0] - a[0]) * d[1] - (points[:, 1] - a[1]) * d[0]) / length
    on = points[(dist <= near) & (t > 0.1) & (t < 0.9)]
    if len(on) < 5:
        return None
    vx, vy, x0, y0 = cv2.fitLine(on.astype(np.float32), cv2.DIST_L2, 0, 0.01, 0.01).ravel()
    return (x0, y0, x0 + vx, y0 + vy)


def _corners(lines: list[tuple[float, float, float, float]]) -> np.ndarray | None:
    """Where each of four lines (each through two points x0, y0, x1, y1) meets the one before;
    None where two are parallel."""
    out = []
    for (ax, ay, bx, by), (cx, cy, dx, dy) in zip(lines[-1:] + lines[:-1], lines):
        r, q = (bx - ax, by - ay), (dx - cx, dy - cy)
        den = r[0] * q[1] - r[1] * q[0]
        if abs(den) < 1e-9:
            return None
        t = ((cx - ax) * q[1] - (cy - ay) * q[0]) / den
        out.append((ax + t * r[0], ay + t * r[1]))
    return np.array(out, np.float64)


def _pixels(pts: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns of the pixels nearest points (..., 2) (x, y), inside an image of ``shape``."""
    x = np.clip(np.rint(pts[..., 0]).astype(np.int64), 0, shape[1] - 1)
    y = np.clip(np.rint(pts[..., 1]).astype(np.int64), 0, shape[0] - 1)
    return y, x


def _on_edges(edge: np.ndarray, a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """The mean of ``edge`` (edge strength) over ``n`` points along each segment a[k] -> b[k] (its
    middle 80%); a and b: (..., 2) arrays."""
    t = np.linspace(0.1, 0.9, n)[:, None]
    return edge[_pixels(a[..., None, :] + t * (b - a)[..., None, :], edge.shape)].mean(axis=-1)


def _along_border(polygon: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Which sides of a polygon (side k from point k to k + 1) lie along the frame's border: their
    middle does, or both their ends do (an outline cut short across a corner of the frame)."""
    h, w = shape
    near = lambda p: np.minimum.reduce([p[:, 0], p[:, 1], w - 1 - p[:, 0], h - 1 - p[:, 1]]) < BORDER * max(h, w)  # noqa: E731
    after = np.roll(polygon, -1, axis=0)
    return near((polygon + after) / 2) | (near(polygon) & near(after))


def _border_side(quad: np.ndarray, shape: tuple[int, int]) -> bool:
    return bool(_along_border(quad, shape).any())


def _cut(polygon: np.ndarray, border: np.ndarray, points: np.ndarray,
         grads: list[tuple[np.ndarray, np.ndarray]], shape: tuple[int, int]) -> Page | None:
    """A sheet running off the frame, three of its sides in view or four and a corner out of it,
    the rest of its outline along the frame's border: a webcam looking down at a sheet whose
    near edge is under it. Three sides are more easily found by chance than four (a band of a
    page of writing bounded by its lines), so the frame must rise into the sheet across each for
    SIDE_SUPPORT of its length: paper brighter than the desk. Its corners are then where its
    four sides meet, or those of a rectangle on it (:func:`_rectangle`); its outline the part in
    view. None where the sides are not three or four in a row, do not step so, or make no
    rectangle. ``border``: which of the polygon's sides lie along the frame's (:func:`_along_border`)."""
    n = len(polygon)
    inner = np.count_nonzero(~border)
    first = [k for k in range(n) if not any(border[(k + j) % n] for j in range(inner))]
    if inner not in (3, 4) or not first or (inner == 4 and n != 5):
        return None
    box = cv2.minAreaRect(polygon.astype(np.float32))[1]
    if max(box) > MAX_ELONGATION * max(min(box), 1e-9):
        return None
    ends = np.array([polygon[(first[0] + j) % n] for j in range(inner + 1)])
    segments = _segments(ends)
    if segments is None:
        return None
    segments = segments[:inner]
    support = _stepping(segments, grads, brighter=True)
    if support < SIDE_SUPPORT:   # (moving the sides onto edges near them, as for four, found no more sheets)
        return None
    lines = [_line(a, d, length, points) for a, d, length in segments]
    lines = [line if line is not None else (a[0], a[1], a[0] + d[0], a[1] + d[1])
             for line, (a, d, _) in zip(lines, segments)]
    # four sides in view, a corner beyond the frame: where they meet; three: a rectangle on the sheet
    rect = _rectangle(lines, list(ends), shape) if inner == 3 else _corners(lines)
    if rect is None or not cv2.isContourConvex(rect.astype(np.float32)):
        return None
    return Page(_ordered(rect), support, polygon)


def _rectangle(lines: list[tuple], ends: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray | None:
    """Four corners of a rectangle on a sheet of which three sides show (``lines``, each through
    two points: a side, the far side, the other side; ``ends``: the first side's near end, the
    far corners, the other side's near end). The sides meet at one vanishing point; the far
    side's, along the far side, is where its direction is square to theirs in space (for a
    camera of focal length FOCAL, looking at the frame's centre). The fourth side is the line
    through that vanishing point and the near end closer to the far side: parallel to the far
    side on the sheet. None where they make no convex quadrilateral."""
    h, w = shape
    centre = np.array([w / 2.0, h / 2.0])
    hom = lambda p: np.array([p[0] - centre[0], p[1] - centre[1], 1.0])  # noqa: E731
    one, far, other = (np.cross(hom(ln[:2]), hom(ln[2:])) for ln in lines)
    focal = FOCAL * max(h, w)
    sides_vanish = np.cross(one, other)
    square = sides_vanish * np.array([1.0 / focal**2, 1.0 / focal**2, 1.0])   # directions square to the sides'
    far_vanish = np.cross(far, square)
    dist = lambda p: abs(hom(p) @ far) / max(np.hypot(far[0], far[1]), 1e-12)  # noqa: E731
    near_end = ends[0] if dist(ends[0]) <= dist(ends[3]) else ends[3]
    near = np.cross(far_vanish, hom(near_end))
    corners = [np.cross(one, far), np.cross(far, other), np.cross(other, near), np.cross(near, one)]
    if any(abs(c[2]) < 1e-9 for c in corners):
        return None
    quad = np.array([c[:2] / c[2] for c in corners]) + centre
    if not np.all(np.isfinite(quad)) or not cv2.isContourConvex(quad.astype(np.float32)) \
            or cv2.contourArea(quad.astype(np.float32)) < 64:
        return None
    return quad


def _support(quad: np.ndarray, grads: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The least share, over the quad's four sides, of points along a side where the image steps
    across it the same way: within two pixels of the point, the grey level (or one colour
    channel's) rises by EDGE_STEP a pixel across the side and does not fall, or falls and does
    not rise, or both (a drawn line), the most common of the three along the side. A sheet's
    edge is one step its whole length (paper on one side, desk on the other), a rectangle drawn
    on it a line; a line laid through a page of writing crosses strokes, each way in turn. 0 for
    a side along the frame's border."""
    h, w = grads[0][0].shape
    if _border_side(quad, (h, w)):
        return 0.0
    segments = _segments(quad)
    return 0.0 if segments is None else _stepping(segments, grads)


def _stepping(segments: list[tuple[np.ndarray, np.ndarray, float]], grads: list[tuple[np.ndarray, np.ndarray]],
              brighter: bool = False) -> float:
    """The least share, over ``segments`` (start, direction, length; clockwise on screen), of
    their points where the image steps across them the same way (see :func:`_support`);
    ``brighter``: where it rises into the polygon (paper brighter than the desk), only."""
    h, w = grads[0][0].shape
    least = 1.0
    offsets = np.arange(-2.0, 3.0)
    for a, d, length in segments:
        normal = np.array([-d[1], d[0]]) / length
        t = np.linspace(0.1, 0.9, max(8, int(length)))
        pts = a + t[:, None, None] * d + offsets[None, :, None] * normal     # (points, offsets, 2)
        y, x = _pixels(pts, (h, w))
        rises, falls, lines = np.zeros(len(t), bool), np.zeros(len(t), bool), np.zeros(len(t), bool)
        for gx, gy in grads:
            across = gx[y, x] * normal[0] + gy[y, x] * normal[1]
            up, down = across.max(axis=1) >= EDGE_STEP, across.min(axis=1) <= -EDGE_STEP
            rises |= up & ~down
            falls |= down & ~up
            lines |= up & down
        least = min(least, float(rises.mean() if brighter else max(rises.mean(), falls.mean(), lines.mean())))
    return least


def _snapped(quad: np.ndarray, strength: np.ndarray) -> np.ndarray | None:
    """``quad`` with each side moved, each end up to SNAP of its length along the side's normal,
    to the line of the strongest edge (a side of the bright part of the frame that a shadow on
    the sheet cut short, or a corner of an outline's polygon a pixel or two off); None where two
    sides no longer meet."""
    segments = _segments(quad)
    if segments is None:
        return None
    lines = []
    for a, d, length in segments:
        b = a + d
        normal = np.array([-d[1], d[0]]) / length
        r = max(3, int(SNAP * length))
        best = (0.0, 0.0)
        for offsets in (np.arange(-r, r + 1, 3.0), None):   # coarse, then a pixel at a time around the best
            if offsets is None:
                offsets = np.arange(-3.0, 4.0)
                ends = (best[0] + offsets, best[1] + offsets)
            else:
                ends = (offsets, offsets)
            ea = np.broadcast_to(a + ends[0][:, None, None] * normal, (len(ends[0]), len(ends[1]), 2))
            eb = np.broadcast_to(b + ends[1][None, :, None] * normal, (len(ends[0]), len(ends[1]), 2))
            share = _on_edges(strength, ea, eb, SNAP_POINTS)
            i, j = np.unravel_index(int(np.argmax(share)), share.shape)
            best = (ends[0][i], ends[1][j])
        ea, eb = a + best[0] * normal, b + best[1] * normal
        lines.append((ea[0], ea[1], eb[0], eb[1]))
    return _corners(lines)


def _shrunk(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` brought down to ``size`` (width, height) cheaply: averaged over 2x2 pixels
    while that stays at least twice as large (OpenCV's fast way), then bilinear. (A 720p frame in
    colour averaged to a third at once took 2 ms here; the grey one, whose outlines must be
    exact, is averaged so all the same.)"""
    while image.shape[1] >= 2 * size[0] and image.shape[0] >= 2 * size[1]:
        image = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return image if (image.shape[1], image.shape[0]) == size else cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)


def _gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x and y gradients of a uint8 image, in grey levels a pixel (the 3x3 Sobel weighs 8)."""
    return cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3, scale=0.125), cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)


def find(gray: np.ndarray, color: np.ndarray | None = None) -> Page | None:
    """The sheet in a uint8 grayscale frame: the largest convex quadrilateral covering MIN_AREA of
    it whose four sides each lie on strong edges for SIDE_SUPPORT of their length; None if none.

    Outlines come from the brighter part of the frame at LEVELS grey levels (a sheet before a
    darker desk, or one little brighter than a light one) and from the frame's edges (a sheet
    before a wall as bright as it). ``color``: the frame in colour (BGR), if it is: its edges are
    the strongest of its channels' and the grey's."""
    h, w = gray.shape[:2]
    k = max(1, int(np.ceil(max(h, w) / float(WORK_SIDE))))   # (a whole factor: OpenCV's fast way)
    f = 1.0 / k
    size = (max(1, w // k), max(1, h // k))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA) if k > 1 else gray
    small = cv2.GaussianBlur(small, (5, 5), 0)
    grads = [_gradients(small)]
    if color is not None and color.ndim == 3 and color.shape[:2] == gray.shape[:2]:
        # a sheet as bright as the desk is still another colour: the strongest edge of any channel
        tint = cv2.GaussianBlur(_shrunk(color[..., :3], size), (5, 5), 0)
        grads += [_gradients(ch) for ch in cv2.split(tint)]
    strength = cv2.magnitude(*grads[0])
    for gx, gy in grads[1:]:
        strength = np.maximum(strength, cv2.magnitude(gx, gy))
    edges = cv2.dilate((strength >= EDGE_STEP).astype(np.uint8) * 255, np.ones((3, 3), np.uint8))
    min_area = MIN_AREA * small.shape[0] * small.shape[1]
    quads = [(a, q, pts, False) for a, q, pts in _quads(edges, min_area)]   # (a band's outline: off the edge's ridge)
    otsu = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[0]
    for level in np.unique(np.linspace(otsu, max(otsu, np.percentile(small[::2, ::2], BRIGHTEST)), LEVELS).astype(int)):
        bright = cv2.morphologyEx((small > level).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        quads += [(a, q, pts, True) for a, q, pts in _quads(cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8)), min_area)]
    shape = small.shape[:2]
    for rank, (_, polygon, points, on_ridge) in enumerate(sorted(quads, key=lambda q: -q[0])):
        border = _along_border(polygon, shape)
        if border.any():   # a sheet running off the frame (or the frame itself)
            cut = _cut(polygon, border, points, grads, shape)
            if cut is not None:
                return Page(cut.corners / f, cut.support, cut.outline / f)
            continue
        if _elongation(polygon) > MAX_ELONGATION:
            continue   # (a band of writing, a plank)
        quad = _fitted(polygon, points)
        fitted = quad is not None and on_ridge
        quad = polygon if quad is None else quad
        support = _support(quad, grads)
        if (support < SIDE_SUPPORT or not fitted) and rank < SNAPPED and not _border_side(quad, shape):
            snapped = _snapped(quad, strength)
            if snapped is not None and cv2.isContourConvex(snapped.astype(np.float32)) \
                    and cv2.contourArea(snapped.astype(np.float32)) >= min_area:
                quad, support = snapped, _support(snapped, grads)
        if support >= SIDE_SUPPORT:
            return Page(_ordered(quad) / f, support)
    return None


def aspect(corners: np.ndarray, size: tuple[int, int], focal: float | None = None) -> float | None:
    """Width over height of the rectangle whose image is ``corners`` (top-left, top-right,
    bottom-right, bottom-left) in a frame of ``size`` (width, height), the principal point at its
    centre. ``focal`` (pixels): the camera's; None: measured from the corners where both pairs of
    sides converge, else FOCAL times the frame's longer side. None where the corners are no
    rectangle's image."""
    cx, cy = size[0] / 2.0, size[1] / 2.0
    m1, m2, m4, m3 = (np.array([x - cx, y - cy, 1.0]) for x, y in corners)
    d2, d3 = np.dot(np.cross(m2, m4), m3), np.dot(np.cross(m3, m4), m2)
    if abs(d2) < 1e-9 or abs(d3) < 1e-9:
        return None
    k2 = np.dot(np.cross(m1, m4), m3) / d2
    k3 = np.dot(np.cross(m1, m4), m2) / d3
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    if focal is None:
        focal = FOCAL * max(size)
        den = n2[2] * n3[2]
        if abs(den) > 1e-9:
            f2 = -(n2[0] * n3[0] + n2[1] * n3[1]) / den
            if (0.4 * max(size)) ** 2 <= f2 <= (4.0 * max(size)) ** 2:
                focal = float(np.sqrt(f2))
    a = np.array([1.0 / focal**2, 1.0 / focal**2, 1.0])
    num, den = float(n2 @ (a * n2)), float(n3 @ (a * n3))
    if not (num > 0 and den > 0):
        return None
    ratio = float(np.sqrt(num / den))
    return ratio if 0.2 <= ratio <= 5.0 else None


def _sides(c: np.ndarray) -> tuple[float, float, float, float]:
    top, bottom = np.linalg.norm(c[1] - c[0]), np.linalg.norm(c[2] - c[3])
    left, right = np.linalg.norm(c[3] - c[0]), np.linalg.norm(c[2] - c[1])
    return float(top), float(right), float(bottom), float(left)


def face_on(page: Page, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The 3x3 map from frame pixels to the sheet seen face-on, and that image's size (width,
    height); None where the sheet already faces the camera (within MIN_SLANT) or its corners are
    no rectangle's image. The face-on sheet is as wide as its wider side shows or as tall as its
    taller side shows, whichever is more; at most MAX_PIXELS."""
    c = page.corners
    ratio = aspect(c, size)
    if ratio is None:
        return None
    top, right, bottom, left = _sides(c)
    tall = max(top, bottom) / ratio / max(left, right)   # face-on height over the height it shows
    slant = max(tall, 1.0 / tall, max(top, bottom) / max(min(top, bottom), 1e-9),
                max(left, right) / max(min(left, right), 1e-9))
    if slant < MIN_SLANT:
        return None
    # as wide as its wider side shows, or as tall as its taller side shows, whichever is more: no
    # direction of the sheet loses the pixels it has (a sheet lying on the desk, turned a quarter)
    width = max(top, bottom, ratio * max(left, right))
    height = width / ratio
    rect = lambda x0, y0, x1, y1: np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])  # noqa: E731
    x0, y0, x1, y1 = 0.0, 0.0, width, height
    if page.outline is not None:   # the rest of the sheet in view, up to its own size again each way
        seen = cv2.perspectiveTransform(page.outline.astype(np.float64)[None],
                                        cv2.getPerspectiveTransform(c.astype(np.float32), rect(0, 0, width, height)))[0]
        x0, y0 = max(-width, min(0.0, float(seen[:, 0].min()))), max(-height, min(0.0, float(seen[:, 1].min())))
        x1, y1 = min(2 * width, max(width, float(seen[:, 0].max()))), min(2 * height, max(height, float(seen[:, 1].max())))
    s = min(1.0, np.sqrt(MAX_PIXELS / max((x1 - x0) * (y1 - y0), 1.0)))
    w, h = max(8, int(round((x1 - x0) * s))), max(8, int(round((y1 - y0) * s)))
    sheet = rect(0, 0, w, h) if page.outline is None else rect(-x0 * s, -y0 * s, (width - x0) * s, (height - y0) * s)
    return cv2.getPerspectiveTransform(c.astype(np.float32), sheet), (w, h)


def box_back(box: tuple[int, int, int, int], m: np.ndarray) -> tuple[int, int, int, int]:
    """The upright bounds, in frame pixels, of a box of the face-on image (``m``: 3x3, frame ->
    face-on), taken over the ellipse inside the box (which fits the digit closer than its corners)."""
    x, y, w, h = box
    a = np.radians(np.arange(0, 360, 15))
    pts = np.stack([x + w / 2 + w / 2 * np.cos(a), y + h / 2 + h / 2 * np.sin(a)], axis=1).astype(np.float32)
    back = cv2.perspectiveTransform(pts[None], np.linalg.inv(np.asarray(m, np.float64)))[0]
    x0, y0 = np.floor(back.min(axis=0)).astype(int)
    x1, y1 = np.ceil(back.max(axis=0)).astype(int)
    return int(x0), int(y0), int(max(1, x1 - x0)), int(max(1, y1 - y0))


def as3x3(m: np.ndarray) -> np.ndarray:
    """A 2x3 affine map or a 3x3 one, as 3x3."""
    m = np.asarray(m, np.float64)
    return m if m.shape == (3, 3) else np.vstack([m, [0.0, 0.0, 1.0]])


__all__ = ["FAVOUR", "Page", "aspect", "as3x3", "box_back", "face_on", "find"]

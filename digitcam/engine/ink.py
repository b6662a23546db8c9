"""Stage 1, ink: where is the paper (or board), and which pixels are ink on it.

Both polarities are kept, dark ink on light paper and light ink on a dark board, since a frame
may hold both (a sheet held in front of a dark shirt). Everything here works on the whole frame
at once with OpenCV and costs a few milliseconds at 720p.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from digitcam.engine.threads import both

DARK, LIGHT = 0, 1  # ink polarity: dark ink on light paper, or light ink on a dark board
MIN_CONTRAST = 14       # grey levels between ink and the page under it (JPEG noise is ~5)
LIGHT_INK_MAX_BG = 120  # light ink needs a background darker than this (board, screen, canvas)
DARK_INK_MIN_BG = 45    # dark ink needs a background lighter than this (paper, even in shadow)
DIM_PART = 9            # on a dark frame (a page held up in a dim room, a board) the paper's level is
                        # measured at 1/DIM_PART of the frame's shorter side: light strokes up to
                        # that thick are taken out first, and dark ones up to that thick closed over.
                        # At a sixth (the board's opening), the parts of a page narrower than that
                        # (its corners, the band along its edge, a sticky note) went with the light
                        # strokes, its paper level there became the room's, and the digits on it had
                        # no contrast. Measured at 6 / 7 / 9 / 12 (twentieth session): dev F1 0.948 /
                        # 0.948 / 0.951 / 0.949 (at 12 a canvas reads a false digit and a webcam
                        # frame loses its 5: a brush's stroke a tenth of the frame thick is a light
                        # stroke too); rendered pages held up in a dim room, recall 0.841 / 0.901 /
                        # 0.922 / 0.930. At 9, the digit-free sets the same but for 2 false digits
                        # more on 35 desktop backgrounds (a dark wallpaper's flowing shapes)


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
    ones before the board's median, on a dark board the light ones, up to DIM_PART, before
    the paper's), or the page between bold strokes would look like ink of the other polarity.
    Both are computed on a small copy of the frame, so they are cheap at any resolution.
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

    def morph(img: np.ndarray, op: int, part: int = 6) -> np.ndarray:
        """``op`` with a square ``1/part`` of the frame's shorter side: by default removes
        strokes up to a sixth of the frame thick."""
        side = max(3, min(small.shape) // part) | 1
        return cv2.morphologyEx(img, op, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)),
                                borderType=cv2.BORDER_REPLICATE)

    if bright:
        closed = morph(small, cv2.MORPH_CLOSE)
        ink = _strokes(cv2.subtract(closed, small), min_contrast)
        paper = np.maximum(median, closed)
        board = cv2.medianBlur(np.where(ink, closed, small), window)
    else:
        opened = morph(small, cv2.MORPH_OPEN)
        lit = morph(small, cv2.MORPH_OPEN, DIM_PART)
        unlit = np.where(_strokes(cv2.subtract(small, lit), min_contrast), lit, small)
        paper = np.maximum(cv2.medianBlur(unlit, window), morph(unlit, cv2.MORPH_CLOSE, DIM_PART))
        board = np.minimum(median, opened)
    out = []
    for bg in (paper, board):
        bg = cv2.blur(bg, (3, 3))
        out.append(cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR) if f > 1 else bg)
    return out[0], out[1]


def contrasts(gray: np.ndarray, min_contrast: int = 14,
              bgs: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """How much darker than the paper, and how much lighter than the board, each pixel is (grey
    levels, uint8): the ink's strength of either polarity, which :func:`binarize` thresholds."""
    paper, board = backgrounds(gray, min_contrast) if bgs is None else bgs
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    return cv2.subtract(paper, smooth), cv2.subtract(smooth, board)


def binarize(gray: np.ndarray, min_contrast: int = 14,
             bgs: tuple[np.ndarray, np.ndarray] | None = None,
             strengths: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Ink masks (dark ink, light ink): pixels darker than the paper, or lighter than the board
    by more than ``min_contrast``; ``strengths``: the frame's :func:`contrasts`, when known."""
    dark, light = contrasts(gray, min_contrast, bgs) if strengths is None else strengths
    return (cv2.threshold(dark, min_contrast, 255, cv2.THRESH_BINARY)[1],
            cv2.threshold(light, min_contrast, 255, cv2.THRESH_BINARY)[1])


RULE_FRACTION = 2.5  # a rule spans at least 1/RULE_FRACTION (two fifths) of the frame's width (or height)
RUN_FILL = 0.75  # share of a rule's length that is ink (pooled 8:1): rules, not rows of digits
RUN_POOL = 8  # long runs are found on the mask pooled 8:1 along the run (8x cheaper, same rules)


def _long_runs(mask: np.ndarray, length: int, bridge: int, slant: float = 0.0,
               fill_from: np.ndarray | None = None) -> np.ndarray:
    """Ink of ``mask`` on horizontal runs at least ``length`` long, gaps up to ``bridge`` bridged,
    leaning ``slant`` degrees (counter-clockwise).

    Measured on the mask max-pooled 8:1 along the rows: a morphological opening as long as a
    third of the frame costs a few milliseconds there instead of tens at full size. A leaning run
    is found on the pooled mask sheared level (each pooled column shifted by the lean), which
    costs a fraction of turning the frame. ``fill_from``: the mask whose ink along the run is
    measured against RUN_FILL (default ``mask``).
    """
    h, w = mask.shape
    wp = -(-w // RUN_POOL) * RUN_POOL
    shear = None
    if slant:
        # a rule leaning up to the right rises RUN_POOL * tan(slant) rows per pooled column
        k = RUN_POOL * float(np.tan(np.deg2rad(slant)))
        cols = wp // RUN_POOL
        rise = abs(k) * (cols - 1)
        shear = np.float32([[1, 0, 0], [k, 1, rise if k < 0 else 0.0]])

    def pool(m: np.ndarray) -> np.ndarray:
        padded = m if wp == w else cv2.copyMakeBorder(m, 0, 0, 0, wp - w, cv2.BORDER_CONSTANT, value=0)
        # pooled 8:1 along the run and over three rows across it: a rule a fraction of a degree off
        # level steps by a row every few hundred pixels, and is still one run
        p = np.ascontiguousarray(cv2.dilate(padded, np.ones((3, RUN_POOL), np.uint8), anchor=(0, 1))[:, ::RUN_POOL])
        if shear is not None:
            p = cv2.warpAffine(p, shear, (p.shape[1], h + int(np.ceil(rise)) + 1), flags=cv2.INTER_NEAREST)
        return p

    pooled = pool(mask)
    rect = cv2.getStructuringElement
    span = max(2, length // RUN_POOL)
    # a rule is ink nearly all along (gaps are faint spots); a row of digits, bridged from one
    # digit to the next, is not: the run must be RUN_FILL ink over its whole length
    fill = cv2.blur(pooled if fill_from is None else pool(fill_from), (span, 1), borderType=cv2.BORDER_CONSTANT)
    pooled = cv2.morphologyEx(pooled, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (max(2, bridge // RUN_POOL + 1), 1)))
    pooled = cv2.morphologyEx(pooled, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (span, 1)))
    dense = cv2.threshold(fill, int(255 * RUN_FILL), 255, cv2.THRESH_BINARY)[1]
    pooled = cv2.bitwise_and(pooled, cv2.dilate(dense, rect(cv2.MORPH_RECT, (span, 1))))
    if shear is not None:
        pooled = cv2.warpAffine(pooled, shear, (pooled.shape[1], h), flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    up = cv2.resize(pooled, (wp, h), interpolation=cv2.INTER_NEAREST)
    return cv2.bitwise_and(up[:, :w] if wp != w else up, mask)


RULE_SLANT = 10.0   # degrees: ruled lines leaning up to this much are found and removed (steeper
                    # pages are read levelled by engine.tilt, and their lines are level there)
RULE_LEVEL = 0.5    # degrees: lines leaning less than this are taken as level
RULE_STEP = 0.25    # degrees: the resolution of the lean's search


LEAN_LINES = 24     # the lean most rules share is counted among this many strongest lines
LEAN_SHARED = 3     # ... and taken where at least this many share it
SPARSE_INK = 0.25   # lines are looked for in ink whose surroundings are less than this share blots
SPARSE_WINDOW = 24  # ... over a square 1/SPARSE_WINDOW of the frame's short side
POOL_ANY = 8        # a 4:1 pooled pixel above this grey level holds ink (one ink pixel of 16 is 16)


def _lean_of(lines: np.ndarray | None) -> list[float]:
    """Leans (degrees) of Hough lines sorted by votes: the strongest line's, then the lean that
    most others of the strongest LEAN_LINES share (within half a degree), where at least
    LEAN_SHARED do and it is a degree or more from the first.

    Both are kept: the one long edge of a table or a floorboard behind a page outvotes any one of
    the page's shorter rules, while the page's rules may outnumber it (and vice versa). Removing
    the lines at both leans costs one more run search, and the background's lines go too."""
    if lines is None or not len(lines):
        return []
    bins = np.round(lines[:LEAN_LINES, 0, 1] / np.deg2rad(RULE_STEP)).astype(int)
    out = [float(90.0 - bins[0] * RULE_STEP)]
    rest = bins[np.abs(bins - bins[0]) * RULE_STEP > 1.0]
    if len(rest):
        near = np.array([np.count_nonzero(np.abs(rest - v) <= 2) for v in rest])
        if near.max() >= LEAN_SHARED:
            out.append(float(90.0 - rest[int(near.argmax())] * RULE_STEP))   # ties: the stronger line
    return out


LINE_BAND = 4       # pixels either side of a Hough line (found 4:1 pooled) where its rule is looked for
MAX_LINES = 48      # distinct Hough lines followed, strongest first
MAX_HOUGH = 256     # ... among this many
LINE_PIECE = 64     # pixels: a line's rows are refined piece by piece along it
FAMILY = 3          # lines are followed one by one where at least this many lean alike
FAMILY_SPREAD = 3.0  # ... within this many degrees (a page's rules in perspective)
FAMILY_FRACTION = 6.0  # a rule of a family spans at least 1/FAMILY_FRACTION of the frame (a page
                       # held far off; a lone rule must span 1/RULE_FRACTION)
WHOLE_LINE = 0.15   # a family's line that holds a rule is a rule all along: every stretch of it at least
                    # this share of a rule's least length goes too (where a digit's bold stroke along a
                    # rule breaks it, the piece between the page's edge and that digit is short, and
                    # stayed glued to the digit) ...
SAME_SHEET = 0.15   # ... where the paper under it is within this share of the rule's paper: the same
                    # sheet (a line running on over a desk beside the page is no rule of it). Rendered
                    # held-up recall ruled / squared 0.951 / 0.872 -> 0.964 / 0.888 (0.1: 0.964 / 0.888;
                    # 0.3: 0.964 / 0.885); every dev reading the same, painted-out photos 0.94 -> 0.89
                    # false digits (0.1: 0.91); SAME_SHEET 0.25 the same; without it, a line of a desk's
                    # leather grain taken for a rule runs on over a page's digits: dev F1 0.941
DISTINCT = 2.0      # pooled pixels: closer than this somewhere across the frame, two lines are one
LOOK_AGAIN = True   # where a family of rules was found, the ink left is searched for more of its lines: a
                    # stronger line crossing the page's rules inside the frame (the gap between two
                    # floorboards behind the page, a few degrees off the rules) is taken for one line
                    # with each rule it crosses (DISTINCT), and those rules stayed, gluing their rows
                    # of digits together. Once the family's rules are cut out, the lines left that
                    # lean as the family does (FAMILY counting those found) are followed as rules.
                    # Rendered held-up squared pages (seeds 100-103) 0.888 -> 0.951, ruled 0.964 ->
                    # 0.966 (false digits 2 -> 0); every dev reading the same (twenty-first session)
UNDER_DIGIT = 4     # a gap in a rule's thin ink up to this many times the bridge (21 px) is bridged where
                    # thicker ink covers the rule's rows all through it: the rule runs on under a digit
                    # standing on it (a printed rule is thin; where a digit crosses it, the ink there is
                    # as thick as the digit and no longer thin). Read closer (a second look makes digits
                    # 36 px tall), a row of digits on a rule broke it into pieces shorter than a rule,
                    # so it stayed and glued the whole row into one region. Text's letters along a
                    # line leave paper between them, and stay apart


class Lines(NamedTuple):
    """Hough lines (rho, theta) of an ink mask pooled 4:1, strongest first, rows' (within
    +-RULE_SLANT of level) and columns' (measured in the transposed mask): through all of its
    ink (``rows``, ``cols``) and through its sparse ink only (``sparse_rows``, ``sparse_cols``)."""

    rows: np.ndarray
    cols: np.ndarray
    sparse_rows: np.ndarray
    sparse_cols: np.ndarray


def sparse_ink(pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ink of a mask pooled 4:1 (``pooled``, 0-255), and the part of it that is sparse (0/255
    each): where a straight line through the ink may be a rule.

    Rules lie on paper; a textured background (fabric, foliage, gravel) is blots of ink nearly
    everywhere, and any line through it gathers more votes than a thin rule does. Blots are what
    stays of the pooled ink after an erosion (a rule, even a dense grid of them, is gone)."""
    small = cv2.threshold(pooled, 40, 255, cv2.THRESH_BINARY)[1]
    # a thin rule crossing a pooled pixel's rows at a slant covers little of each: there, any ink
    # counts (a pooled pixel of a few ink pixels)
    every = cv2.threshold(pooled, POOL_ANY, 255, cv2.THRESH_BINARY)[1]
    window = max(3, min(small.shape) // SPARSE_WINDOW) | 1
    blots = cv2.erode(small, np.ones((2, 2), np.uint8))
    dense = cv2.threshold(cv2.blur(blots, (window, window)), int(255 * SPARSE_INK), 255, cv2.THRESH_BINARY)[1]
    return small, cv2.bitwise_and(every, cv2.bitwise_not(dense))


def _hough(mask: np.ndarray, sparse_only: bool = False) -> Lines:
    """The straight lines of an ink mask (see :class:`Lines`). A page held up is never level, and
    a rule leaning 2 degrees breaks into short steps that no level run finds: lines are looked
    for on the mask pooled 4:1, where a Hough transform costs a few milliseconds.
    ``sparse_only``: the lines through sparse ink only (the others come back empty)."""
    h, w = mask.shape
    pooled = cv2.resize(mask, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    small, sparse = sparse_ink(pooled)
    slant = np.deg2rad(RULE_SLANT)

    def lines(img: np.ndarray, span: float) -> np.ndarray:
        votes = max(10, int(img.shape[1] / span))   # pooled pixels of ink along a line
        found = cv2.HoughLines(img, 1, np.deg2rad(RULE_STEP), votes, min_theta=np.pi / 2 - slant,
                               max_theta=np.pi / 2 + slant)
        return np.zeros((0, 2), np.float32) if found is None else found[:, 0]

    # a lone rule spans at least a quarter of the frame; a family's may be a page held far off
    none = np.zeros((0, 2), np.float32)

    def rows() -> tuple[np.ndarray, np.ndarray]:
        return none if sparse_only else lines(small, 4.0), lines(sparse, FAMILY_FRACTION)

    def cols() -> tuple[np.ndarray, np.ndarray]:
        return (none if sparse_only else lines(cv2.transpose(small), 4.0)), lines(cv2.transpose(sparse), FAMILY_FRACTION)

    (r, sr), (c, sc) = both(rows, cols)   # the costliest step of a textured frame
    return Lines(r, c, sr, sc)


def _leans(mask: np.ndarray, lines: Lines | None = None) -> tuple[list[float], list[float]]:
    """The leans (degrees, counter-clockwise) of the straight rows of rules in an ink mask, and
    those of its columns measured in the transposed mask, each within +-RULE_SLANT (see
    :func:`_lean_of`; empty where there are none). ``lines``: the mask's :func:`_hough`."""
    rows, cols = (_hough(mask) if lines is None else lines)[:2]
    return _lean_of(rows[:, None] if len(rows) else None), _lean_of(cols[:, None] if len(cols) else None)


def _families(lines: np.ndarray, width: float, known: np.ndarray | None = None) -> np.ndarray:
    """The Hough lines (rho, theta; of rows, pooled 4:1 over ``width`` pooled columns) that
    belong to a family of at least FAMILY lines, each counted once.

    Rules come ruled: many near-parallel lines a page, apart all along. A lone long stroke (the
    straight tail of a 9 in a close-up) is no rule for this reason, and is left to the run search
    at the page's leans; the fan of Hough lines through it are one line, as they meet inside the
    frame (lines within DISTINCT pooled pixels of one another anywhere across it are one).
    ``known``: the leans (theta) of a family's lines found before, which count toward FAMILY
    (LOOK_AGAIN)."""
    lines = np.asarray(lines, np.float64)[:MAX_HOUGH]
    ends = np.stack([lines[:, 0], lines[:, 0] - width * np.cos(lines[:, 1])], axis=1) / np.sin(lines[:, 1])[:, None]
    left = ends[:, 0][:, None] - ends[:, 0][None]    # how far apart two lines are at the frame's sides
    right = ends[:, 1][:, None] - ends[:, 1][None]
    same = (left * right <= 0) | (np.minimum(np.abs(left), np.abs(right)) < DISTINCT)
    alive = np.ones(len(lines), bool)
    kept = []
    while alive.any() and len(kept) < MAX_LINES:   # strongest first; a weaker line the same as a kept one is it
        i = int(alive.argmax())
        kept.append(i)
        alive &= ~same[i]
    k = lines[kept]
    near = (np.abs(k[:, 1][:, None] - k[:, 1][None]) <= np.deg2rad(FAMILY_SPREAD)).sum(axis=1)
    if known is not None and len(known):   # a family's lines found before count too
        near += (np.abs(k[:, 1][:, None] - np.asarray(known)[None]) <= np.deg2rad(FAMILY_SPREAD)).sum(axis=1)
    return k[near >= FAMILY]


def _rules_along(thin: np.ndarray, family: np.ndarray, length: int, bridge: int = 21,
                 paper: np.ndarray | None = None, ink: np.ndarray | None = None) -> np.ndarray:
    """Rules of the ``thin`` ink (thin across the rows) along each Hough line of rows of a
    ``family`` (see :func:`_families`): where the line runs at least ``length`` pixels (gaps up
    to ``bridge`` bridged) with ink RUN_FILL of it.

    A rule is straight, and stays straight in a photo, but a page in perspective leans each of
    its rules a little otherwise (its top rule by a degree more than its bottom one), and a run
    search at one or two leans misses the others. Each line is followed on its own instead: its
    position is refined to the pixel rows, within LINE_BAND, that hold most ink along it. With
    ``paper`` (the paper's level, per pixel), a line that holds a rule is removed along its whole
    length on the same sheet (WHOLE_LINE, SAME_SHEET). With ``ink`` (all of the ink, thin or
    not), longer gaps covered by ink are bridged too (UNDER_DIGIT)."""
    h, w = thin.shape
    out = np.zeros_like(thin)
    if not len(family):
        return out
    xs = np.arange(w)
    offsets = np.arange(-LINE_BAND, LINE_BAND + 1)
    s, c = np.sin(family[:, 1]), np.cos(family[:, 1])
    centre = 4.0 * family[:, 0] + 1.5 * (c + s)   # the pooled pixel's centre, in frame pixels
    centre_rows = np.rint((centre[:, None] - xs[None] * c[:, None]) / s[:, None]).astype(np.int32)
    ys = centre_rows[:, None, :] + offsets[None, :, None].astype(np.int32)        # (lines, band, columns)
    hit = (thin[np.clip(ys, 0, h - 1), xs[None, None, :]] > 0) & (ys >= 0) & (ys < h)
    inked = hit.sum(axis=(1, 2)) >= RUN_FILL * length   # lines with too little ink near them hold no rule
    # the rule's rows, piece by piece along it: the Hough line is found 4:1 pooled and a quarter
    # of a degree coarse, and a page bends a little; in each piece, the rows within a pixel or
    # two of the one that holds most ink along it, where they hold half as much
    pieces = -(-w // LINE_PIECE)
    padded = np.zeros((len(family), len(offsets), pieces * LINE_PIECE), np.int32)
    padded[:, :, :w] = hit
    count = padded.reshape(len(family), len(offsets), pieces, LINE_PIECE).sum(axis=3)   # (lines, band, pieces)
    best = offsets[count.argmax(axis=1)]                                               # (lines, pieces)
    rows = ((np.abs(offsets[None, :, None] - best[:, None, :]) <= 2)
            & (count >= count.max(axis=1, keepdims=True) / 2) & (count > 0))
    on_rows = np.repeat(rows, LINE_PIECE, axis=2)[:, :, :w]
    hit &= on_rows
    along = hit.any(axis=1)                                                            # (lines, columns)
    for k in np.flatnonzero(inked):
        on = np.flatnonzero(along[k])
        if not len(on):
            continue
        gaps = np.diff(on)
        wide = np.flatnonzero((gaps > bridge) & (gaps <= UNDER_DIGIT * bridge)) if ink is not None else []
        if len(wide):   # a gap under a digit, covered by its ink all through: the rule runs on beneath it
            covered = ((ink[np.clip(ys[k], 0, h - 1), xs[None, :]] > 0) & on_rows[k]).any(axis=0)
            cum = np.r_[0, np.cumsum(covered)]
            under = wide[cum[on[wide + 1]] - cum[on[wide]] >= gaps[wide]]
            if len(under):
                on = np.union1d(on, np.concatenate([np.arange(on[i], on[i + 1]) for i in under]))
                gaps = np.diff(on)
        blocks = np.zeros(-(-w // RUN_POOL), bool)   # ink in each 8 pixels along (as the run search pools)
        blocks[on // RUN_POOL] = True
        breaks = np.flatnonzero(gaps > bridge)
        spans = [(on[a], on[b] + 1) for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(on) - 1])]
        rule = [x1 - x0 >= length and blocks[x0 // RUN_POOL:(x1 - 1) // RUN_POOL + 1].mean() >= RUN_FILL
                for x0, x1 in spans]
        if WHOLE_LINE and paper is not None and any(rule):   # the rest of the rule's line, on its sheet
            row = np.clip(centre_rows[k], 0, h - 1)
            level = lambda x0, x1: float(np.median(paper[row[x0:x1], xs[x0:x1]]))  # noqa: E731
            ref = np.median([level(x0, x1) for r, (x0, x1) in zip(rule, spans) if r])
            rule = [r or (x1 - x0 >= WHOLE_LINE * length and abs(level(x0, x1) - ref) <= SAME_SHEET * ref)
                    for r, (x0, x1) in zip(rule, spans)]
        for r, (x0, x1) in zip(rule, spans):
            if r:
                band = hit[k, :, x0:x1]
                out[ys[k, :, x0:x1][band], np.broadcast_to(xs[x0:x1], band.shape)[band]] = 255
    return out


def _runs_at(mask: np.ndarray, thin: np.ndarray | None, length: int, leans: tuple[float, ...],
             fill_from: np.ndarray | None = None) -> np.ndarray:
    """Long runs (see :func:`_long_runs`) at each of ``leans``, together: at the first in ``mask``
    (their fill measured in ``fill_from`` where given), at the others in its ``thin`` ink only (a
    second lean may be that of a row of printed words, long too but thick where its letters are;
    a rule is thin all along)."""
    out = _long_runs(mask, length, 21, leans[0], fill_from)
    for a in leans[1:]:
        out = cv2.bitwise_or(out, _long_runs(thin, length, 21, a))
    return out


def rule_slant(mask: np.ndarray) -> float:
    """The lean (degrees, counter-clockwise) of the longest straight rule in an ink mask: of its
    rows, or where it has only columns, theirs; 0.0 for none (see :func:`_leans`)."""
    return _row_leans(mask)[0][0]


def _row_leans(mask: np.ndarray, lines: Lines | None = None) -> tuple[list[float], list[float]]:
    """:func:`_leans`, with the rows' leans never empty: the columns' turned where only columns
    were found (a page's rows lean with its columns), else level."""
    rows, cols = _leans(mask, lines)
    return rows or [-a for a in cols[:1]] or [0.0], cols


def remove_rules(mask: np.ndarray, strength: np.ndarray | None = None, paper: np.ndarray | None = None) -> np.ndarray:
    """Remove ruled lines from an ink mask, level or leaning up to RULE_SLANT degrees
    (``strength``: the ink's contrast, ``paper``: the paper's level; see :func:`remove_lines`).

    Rows and columns are measured apart: a page held up in perspective leans its columns
    otherwise than its rows, and a run at the rows' lean misses a column by a degree off it."""
    lines = _hough(mask)
    rows, cols = _row_leans(mask, lines)
    level = lambda leans: tuple(a if abs(a) >= RULE_LEVEL else 0.0 for a in leans)  # noqa: E731
    return remove_lines(mask, level(rows), level(cols) if cols else None, lines, strength, paper)


RULE_MARGIN = 3     # pixels: on ruled or squared paper, ink thicker across a rule than the page's rules
                    # are on average by more than this is a stroke running along the rule, and stays.
                    # Rendered held-up pages, recall on ruled / squared paper: 0.927 / 0.846 -> 0.951 /
                    # 0.911 (margin 2: 0.966 / 0.914; 1: 0.964 / 0.927, but with them more false digits
                    # on the painted-out dev photos, 0.94 -> 1.11-1.20, and the whiteboard's words). At
                    # 3 every dev and digit-free reading is as before (docs/history.md, seventeenth session)


def _as_thin_as_rules(mask: np.ndarray, rules: np.ndarray, thin: int, axis: int) -> np.ndarray:
    """The pixels of ``rules`` (0/255) where ``mask`` is no thicker across them (``axis`` 0: rules
    along the rows, thickness measured down the columns; 1: rules along the columns) than the
    rules' mean thickness plus RULE_MARGIN, and no thicker than ``thin``.

    Removing a rule takes every pixel of ink up to ``thin`` thick along it (a hundredth of the
    frame's shorter side: 7 px at 720p), and with it the part of a digit that runs along the rule:
    a 7's top on a printed rule, a 0's side on a grid line. A page's printed rules are one or two pixels thick;
    a pen stroke along one makes the ink there thicker by its own width."""
    area = cv2.countNonZero(rules)
    before = np.zeros_like(rules)       # each run across the rule starts where the pixel before it is no rule
    if axis == 0:
        before[1:] = rules[:-1]
    else:
        before[:, 1:] = rules[:, :-1]
    runs = cv2.countNonZero(cv2.subtract(rules, before))
    t = min(thin, int(np.ceil(area / max(runs, 1))) + RULE_MARGIN)
    if t >= thin:
        return rules
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, t + 1) if axis == 0 else (t + 1, 1))
    return cv2.bitwise_and(rules, cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)))


RULE_DARKER = 2.0   # on ruled or squared paper, a rule's pixel this many times darker than the page's
                    # rules are (the median contrast of its direction's rules) is a pen's stroke
                    # along the rule, and stays.
                    # Printed rules are pale beside a pen (blue-grey or purple against ballpoint or
                    # felt tip); a thin pen's stroke drawn along a rule is no thicker than the rule,
                    # so RULE_MARGIN cannot tell it, but it is darker. Dev F1 / whiteboard, and
                    # rendered held-up recall on squared paper (nineteenth session): off 0.943 /
                    # 0.789, 0.807; 1.5: 0.943 / 0.723, 0.865; 2.0: 0.948 / 0.789, 0.872; 2.5:
                    # 0.944 / 0.789, 0.859; 3.0: 0.943 / 0.789, 0.852; digit-free sets the same
                    # (one median over both directions; measured per direction, every reading at
                    # 2.0 is the same, and a ruled page's dark margin line goes: rendered pages
                    # with one, recall 0.874 off, 0.877 with one median, 0.883 per direction)


def _paler_than_ink(strength: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """The pixels of ``rules`` (0/255, the rules of one direction) without those RULE_DARKER times
    darker (``strength``: the ink's contrast) than those rules' median: a pen's stroke along a
    rule. Rows and columns are measured apart: a ruled page's margin line, darker than its pale
    rules, is a rule of its own and goes with them."""
    n = cv2.countNonZero(rules)
    if n == 0:
        return rules
    hist = cv2.calcHist([strength], [0], rules, [256], [0, 256]).ravel()
    median = int(np.searchsorted(np.cumsum(hist), n / 2.0))
    rule_like = cv2.threshold(strength, min(254, int(RULE_DARKER * median)), 255, cv2.THRESH_BINARY_INV)[1]
    return cv2.bitwise_and(rules, rule_like)


def remove_lines(mask: np.ndarray, slants: tuple[float, ...] = (0.0,),
                 column_slants: tuple[float, ...] | None = None,
                 lines: Lines | None = None, strength: np.ndarray | None = None,
                 paper: np.ndarray | None = None) -> np.ndarray:
    """Remove ruled lines (long, thin, horizontal or vertical) from an ink mask: rows leaning by
    each of ``slants`` (degrees, counter-clockwise), columns by each of ``column_slants`` measured
    in the transposed mask (default: the rows' leans, turned); and along each line of the sparse
    ink of ``lines`` that has a family (see :func:`_hough` and :func:`_rules_along`).

    A rule spans a large part of the frame and is only a few pixels thick; a digit's bar, even a
    long one in a close-up, is shorter or thicker. Small gaps (noise, faint print) are bridged
    before measuring length. A stroke crossing a rule keeps the rule's pixels where it crosses.
    On ruled or squared paper, a stroke along a rule keeps them where it is thicker
    (RULE_MARGIN) or, ``strength`` given (the mask's ink contrast, :func:`contrasts`), darker
    (RULE_DARKER) than the page's rules; ``paper`` given (the level under the ink,
    :func:`backgrounds`), a family's rule goes along its whole line on the same sheet (WHOLE_LINE).
    """
    h, w = mask.shape
    thin = max(4, min(h, w) // 100)
    rect = cv2.getStructuringElement
    # thickness is measured across the run in the whole mask: where a stroke crosses the rule,
    # or along the edge of a thick bar, the ink is thick and stays
    rows = slants
    cols = tuple(-a for a in rows) if column_slants is None else column_slants
    thin_h = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, thin + 1))))
    thin_v = cv2.subtract(mask, cv2.morphologyEx(mask, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (thin + 1, 1))))
    # in the transposed mask a column's lean turns the other way
    thin_t = cv2.transpose(thin_v) if len(cols) > 1 else None   # only a second lean looks at it
    vert = cv2.bitwise_and(cv2.transpose(_runs_at(cv2.transpose(mask), thin_t, max(int(h / RULE_FRACTION), 40), cols)), thin_v)
    # Squared paper: a row of digits crossed by the grid's columns every few millimetres is ink
    # along RUN_FILL of its length, and was taken for a rule (its digits' tops and bottoms cut
    # away): a row's fill is measured without the column rules. (Columns measured likewise
    # without the rows' rules: ruled pages gained what squared ones lost; docs/history.md.)
    crossed = cv2.subtract(mask, vert) if cv2.countNonZero(vert) else None
    horiz = cv2.bitwise_and(_runs_at(mask, thin_h, max(int(w / RULE_FRACTION), 40), rows, crossed), thin_h)
    family = False     # rules come ruled: many alike (a page's), not one long line (a table's edge)
    if lines is not None:
        row_len, col_len = max(int(w / FAMILY_FRACTION), 40), max(int(h / FAMILY_FRACTION), 40)
        paper_t = None if paper is None else paper.T          # views: only sampled
        found = _families(lines.sparse_rows, w / 4.0), _families(lines.sparse_cols, h / 4.0)
        along = _rules_along(thin_h, found[0], row_len, paper=paper, ink=mask)
        family = cv2.countNonZero(along) > 0
        horiz = cv2.bitwise_or(horiz, along)
        thin_vt = None
        if len(found[1]):
            thin_vt = cv2.transpose(thin_v)
            along = _rules_along(thin_vt, found[1], col_len, paper=paper_t, ink=mask.T)
            family = family or cv2.countNonZero(along) > 0
            vert = cv2.bitwise_or(vert, cv2.transpose(along))
        if family and LOOK_AGAIN:   # the family's lines hidden behind a stronger one (LOOK_AGAIN)
            rest = cv2.subtract(mask, cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((3, 3), np.uint8)))
            again = _hough(rest, sparse_only=True)
            more = _families(again.sparse_rows, w / 4.0, found[0][:, 1])
            horiz = cv2.bitwise_or(horiz, _rules_along(thin_h, more, row_len, paper=paper, ink=mask))
            more = _families(again.sparse_cols, h / 4.0, found[1][:, 1])
            if len(more):
                thin_vt = cv2.transpose(thin_v) if thin_vt is None else thin_vt
                vert = cv2.bitwise_or(vert, cv2.transpose(_rules_along(thin_vt, more, col_len, paper=paper_t, ink=mask.T)))
    has_h, has_v = cv2.countNonZero(horiz) > 0, cv2.countNonZero(vert) > 0
    if family:   # ruled or squared paper: a stroke along a rule is thicker than the rules
        if has_h:
            horiz = _as_thin_as_rules(mask, horiz, thin, 0)
        if has_v:
            vert = _as_thin_as_rules(mask, vert, thin, 1)
        if strength is not None and RULE_DARKER:
            horiz, vert = _paler_than_ink(strength, horiz), _paler_than_ink(strength, vert)
        has_h, has_v = cv2.countNonZero(horiz) > 0, cv2.countNonZero(vert) > 0
    if not has_h and not has_v:
        return mask
    # a rule's ragged rims go with it (left behind, they would pass for ink crossing the rule)
    horiz = cv2.bitwise_and(cv2.dilate(horiz, np.ones((3, 1), np.uint8)), mask)
    vert = cv2.bitwise_and(cv2.dilate(vert, np.ones((1, 3), np.uint8)), mask)
    out = cv2.subtract(mask, cv2.bitwise_or(horiz, vert))
    # mend the cuts: a rule's pixel comes back where a stroke crosses it, with ink on both sides
    # within the rule's thickness. (A closing near the rules mended them too, but it also filled
    # the loops of small digits sitting on a rule and glued them to each other.)
    reach = thin + 2
    for rule, (kw, kh) in ((horiz, (1, reach)), (vert, (reach, 1))):
        if cv2.countNonZero(rule):
            kernel = np.ones((kh, kw), np.uint8)
            before = cv2.dilate(out, kernel, anchor=(kw - 1, kh - 1))   # ink above (left of) it
            after = cv2.dilate(out, kernel, anchor=(0, 0))               # ink below (right of) it
            out = cv2.bitwise_or(out, cv2.bitwise_and(rule, cv2.bitwise_and(before, after)))
    return out

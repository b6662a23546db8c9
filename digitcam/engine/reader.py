"""The engine: frame -> focus -> scale -> ink and strokes -> hypotheses -> crops -> one model call -> selection.

``scan``, ``live``, ``draw``, ``bench`` and ``eval`` all read digits through :class:`Recognizer`.
Each stage is its own module in this package, in the order of the pipeline:
:mod:`focus`, :mod:`scale`, :mod:`ink` (and :mod:`shade`), :mod:`components`, :mod:`candidates`, :mod:`crops`, then the
classifier (:mod:`digitcam.runtime`), :mod:`select`, :mod:`words`, :mod:`lines`, :mod:`alone`,
:mod:`marks`, and :mod:`digitcam.grouping` for numbers. Beside the classifier, :mod:`printed`
reads printed digits, and is heard where it is sure.
Around them, :mod:`orientation` finds which way up a photo is and :mod:`tilt` reads leaning
lines levelled.
"""

from __future__ import annotations

import time
from concurrent.futures import wait
from dataclasses import dataclass, field

import cv2
import numpy as np

from digitcam import grouping
from digitcam.detections import MIN_CONFIDENCE, Detection, Result
from digitcam.engine import alone as alone_stage
from digitcam.engine import crops as crop_stage
from digitcam.engine import focus as focus_stage
from digitcam.engine import gate as gate_stage
from digitcam.engine import marks as marks_stage
from digitcam.engine import orientation
from digitcam.engine import page as page_stage
from digitcam.engine import printed as printed_stage
from digitcam.engine import scale as scale_stage
from digitcam.engine import tilt as tilt_stage
from digitcam.engine.candidates import propose
from digitcam.engine.components import find_strokes
from digitcam.engine.ink import MIN_CONTRAST
from digitcam.engine.lines import line_pieces
from digitcam.engine.prefilter import Prefilter, features, load_prefilter
from digitcam.engine.select import choose
from digitcam.engine.threads import later
from digitcam.engine.words import drop_letters
from digitcam.normalise import to_gray
from digitcam.runtime import Classifier

# The prefilter is for speed on cluttered frames; below this many hypotheses the CNN costs a
# few milliseconds at most and sees them all (a frame filled by one digit is unlike the scenes
# the prefilter learned from, and nothing is gained by filtering it).
PREFILTER_FROM = 32
PART_FLOOR = 64        # a closer look at a part of the frame (engine.scale.closer_box) keeps the
                       # frame's max_hypotheses by the part's share of its area, but at least this
                       # many: a page's own hypotheses crowd its part. Without the share, a wallpaper
                       # of rings read closer around the first look's "0"s read them all, close
                       # enough together to stand as company (engine.alone): false digits on 48
                       # fresh / 32 held-out digit-free images 3 / 5 -> 17 / 9. Floor 32 / 48 / 64 /
                       # 80 / 96: fresh 1 / 1 / 1 / 3 / 5; 32 held-up 640x480 pages still 0.966 /
                       # 0.971 / 0.977 / 0.979 / 0.979 (whole-frame closer look 0.972), moved 5 px
                       # 0.940 / 0.944 / 0.948 / 0.948 / 0.948 (0.949) (twenty-sixth session)
CHUNK = 64             # crops the model reads at once while the next ones are built (speed only: a
                       # crop reads the same in any batch). Held-up page: see engine.threads
CONTEXT_WEIGHT = 0.5   # the context head's weight in the two heads' geometric mean (see _mixed). Dev
                       # F1 / false digits on 48 fresh, 32 held-out and 35 training backgrounds
                       # (eighteenth session): 0.3: 0.942 / 5, 2, 33; 0.4: 0.942 / 4, 2, 32;
                       # 0.5: 0.943 / 4, 4, 28; 0.6: 0.943 / 8, 4, 28


@dataclass
class Look:
    """One pass over the frame at one working scale: every hypothesis and what the model said."""

    scale: float
    batch: crop_stage.Batch
    probs: np.ndarray        # (N, 11) probabilities: the heads mixed, the printed reader heard where sure
    chosen: list[int]        # indices into batch.hyps
    turn: int = 0            # degrees clockwise the page was turned to read it (rotation "auto")
    size: tuple[int, int] = (0, 0)  # width, height of the image looked at, before scaling
    density: np.ndarray | None = None  # the dark ink pooled 4:1, summed (Strokes.density): its rules' lean
    timings: dict[str, float] = field(default_factory=dict)
    part: tuple[int, int, int, int] | None = None  # the part of the image looked at (x, y, w, h, its
                                                    # pixels; scale.closer_box), None: all of it


@dataclass
class Recognizer:
    """Reads every handwritten digit in a frame (grayscale, BGR or BGRA, any size and depth)."""

    classifier: Classifier
    min_confidence: float = MIN_CONFIDENCE
    base_side: int = 1600          # the first look brings the longer side down to this
    second_look: bool = True       # look again closer when the digits read are small (see engine.scale)
    search_small: bool = False     # ... and when none was read but the regions proposed are small
                                   # (photos: scan, eval; a camera frame is read at its own size)
    head: str = "both"             # which model head decides: "both" (served: the geometric mean of
                                   # the two), "context" or "crop" alone (to measure what each buys)
    prefilter: Prefilter | None | str = "auto"  # the first look; "auto": the one in the model's card
    max_hypotheses: int = 160      # at most this many, the prefilter's most digit-like, go to the CNN
    max_pieces: int = crop_stage.MAX_FRAME_PIECES  # ... and at most this many pieces of wide regions
                                   # (photos: crops.PHOTO_PIECES)
    rotation: int | str = 0        # degrees clockwise to turn the frame before reading; "auto": decide
                                   # from its digits (engine.orientation; scan --rotation auto)
    focus: bool = True             # sharpen a frame out of focus before reading it (engine.focus)
    words: bool = True             # digits inside words of letters are letters (engine.words)
    alone: bool = True             # a small digit far from any other is a speck (engine.alone)
    marks: bool = True             # a loop around digits and a comma between them are no digits (engine.marks)
    lines: bool = True             # a straight stroke whose line runs on past its ends is no 1 (engine.lines)
    deskew: bool = True            # read leaning lines again levelled, keep the surer (engine.tilt);
                                   # live passes each frame the lean of the last one instead
    page: bool = True              # read a sheet seen at a slant face-on too, keep the surer (engine.page)
    gate: gate_stage.Gate | None | str = "auto"  # stage 0: whether to read a frame at all
                                   # (engine.gate); "auto": the gate beside the model, if any
    printed: Classifier | None | str = "auto"  # the printed-digit reader, heard where sure (engine.printed);
                                   # "auto": the one beside the model, if any

    def __post_init__(self) -> None:
        if isinstance(self.prefilter, str):
            self.prefilter = load_prefilter(self.classifier.path)
        if isinstance(self.gate, str):
            self.gate = gate_stage.load_gate(self.classifier.path.parent, self.classifier.threads)
        if isinstance(self.printed, str):
            self.printed = printed_stage.load_printed(self.classifier.path, self.classifier.runtime, self.classifier.threads)

    def look(self, gray: np.ndarray, scale: float, part: tuple[int, int, int, int] | None = None) -> Look:
        """One pass at ``scale``: every stage up to the chosen hypotheses, in working pixels of
        the frame, or of its ``part`` (x, y, w, h) only (see scale.closer_box)."""
        t0 = time.perf_counter()
        h, w = gray.shape
        whole, budget = None, self.max_hypotheses
        if part is not None:
            px, py, pw, ph = part
            gray = gray[py:py + ph, px:px + pw]
            whole = (px * scale, py * scale, h * scale, w * scale)
            budget = max(PART_FLOOR, int(round(self.max_hypotheses * pw * ph / float(w * h))))
        gray = scale_stage.resized(gray, scale)
        strokes = find_strokes(gray, MIN_CONTRAST)
        t1 = time.perf_counter()
        hyps = propose(strokes, gray.shape[:2])
        proposed = len(hyps)
        if self.prefilter is not None and len(hyps) > PREFILTER_FROM:
            # as a detector keeps its top-N proposals: a bound on the cost of the worst frame
            score = self.prefilter.scores(features(strokes, hyps, gray.shape[:2], whole))
            order = np.argsort(-score, kind="stable")[: budget]
            hyps = [hyps[i] for i in order if score[i] >= self.prefilter.threshold]  # likeliest first
        t2 = time.perf_counter()
        batch, probs, building = self._crops_read(gray, strokes, hyps)
        t4 = time.perf_counter()
        t3 = t2 + building
        chosen = choose(batch, probs, self.min_confidence) if len(batch) else []
        if self.words:
            chosen = drop_letters(batch, chosen, strokes)
        if self.lines:
            chosen = line_pieces(gray, strokes, batch, chosen, probs)
        t5 = time.perf_counter()
        ms = lambda a, b: (b - a) * 1e3  # noqa: E731
        timings = {"find": ms(t0, t1), "candidates": ms(t1, t2), "crops": ms(t2, t3), "classify": ms(t3, t4),
                   "select": ms(t4, t5), "proposed": float(proposed), "hypotheses": float(len(batch))}
        return Look(scale, batch, probs, chosen, 0, (w, h), strokes[0].density, timings, part)

    def _crops_read(self, gray: np.ndarray, strokes: tuple, hyps: list) -> tuple[crop_stage.Batch, np.ndarray, float]:
        """Every hypothesis' crops, what the model says of them, and the seconds spent building
        the crops. The model reads each chunk of CHUNK crops in the pool while the next is built
        (LiteRT lets go of Python's lock), and the last one here; a chunk waits for the one
        before, as the model is one interpreter, and no reading outlives the call."""
        parts: list[crop_stage.Batch] = []
        read: list[np.ndarray] = []
        reading = None
        building = 0.0
        try:
            t = time.perf_counter()
            for part in crop_stage.chunks(gray, strokes, hyps, max_pieces=self.max_pieces, chunk=CHUNK):
                building += time.perf_counter() - t
                if parts:   # a chunk after it was built: the one before is read in the pool
                    if reading is not None:
                        read.append(reading.result())
                    reading = later(lambda part=parts[-1]: self._probs(part))
                parts.append(part)
                t = time.perf_counter()
            building += time.perf_counter() - t
        except BaseException:
            if reading is not None:   # the interpreter is free again before this read ends
                wait([reading])
            raise
        if reading is not None:
            read.append(reading.result())
        if parts:
            read.append(self._probs(parts[-1]))
        probs = np.concatenate(read) if read else np.zeros((0, self.classifier.num_classes), np.float32)
        return crop_stage.concatenate(parts), probs, building

    def _probs(self, batch: crop_stage.Batch) -> np.ndarray:
        """What the model says of a batch of crops: its heads mixed (see ``head``), the printed
        reader heard where it is sure."""
        heads = self.classifier.heads(batch.digits, batch.contexts)
        probs = heads[self.head] if self.head in heads else _mixed(heads, self.head)
        if self.printed is not None and len(batch):
            probs = printed_stage.heard(probs, self.printed.heads(batch.digits)["crop"])
        return probs

    def __call__(self, frame: np.ndarray, tilt: float | None = None, scale: float | None = None,
                 roi: tuple[int, int, int, int] | None = None, rejected: float | None = None,
                 gray: np.ndarray | None = None, sheet: bool = False) -> Result:
        """Read ``frame`` (see :meth:`read`), unless the gate finds no digit ink in it
        (engine.gate): then nothing is read, in ~2 ms. A part of a frame (``roi``: live, around
        the digits it follows) is read without asking the gate."""
        frame = np.asarray(frame)
        if (self.gate is None or roi is not None or frame.ndim < 2 or min(frame.shape[:2]) < 2
                or not gate_stage.applies(frame.shape)):
            return self.read(frame, tilt, scale, roi, rejected, gray, sheet)
        t0 = time.perf_counter()
        gray = to_gray(frame) if gray is None else gray
        seen = self.gate.sees_digits(gray)
        ms = (time.perf_counter() - t0) * 1e3
        if not seen:
            return Result(gray.shape[1], gray.shape[0], next_scale=scale_stage.first_scale(gray.shape, self.base_side),
                          timings={"gate": ms, "looks": 0.0, "total": ms})
        result = self.read(frame, tilt, scale, None, rejected, gray, sheet)
        result.timings = {**result.timings, "gate": ms, "total": result.timings.get("total", 0.0) + ms}
        return result

    def read(self, frame: np.ndarray, tilt: float | None = None, scale: float | None = None,
             roi: tuple[int, int, int, int] | None = None, rejected: float | None = None,
             gray: np.ndarray | None = None, sheet: bool = False) -> Result:
        """Read ``frame``, whatever the gate would say. ``tilt``: the lean of its lines (degrees,
        counter-clockwise) when it is known, as live knows it from the frame before: the frame is read levelled by it, in one
        pass while the lean holds (a frame whose lean differs is read the ways it may be, once).
        ``scale``: likewise the working scale to read at, in
        one look (live passes each frame ``result.next_scale`` of the one before). ``roi``: read
        only this part (x, y, w, h) of the frame, as live does around the digits it follows.
        ``rejected``: a lean the frame before measured and read levelled without gain
        (``result.rejected_lean``); live passes it on so that a page whose digits suggest a lean
        that levelling does not confirm is not read twice every frame. ``gray``: the frame in grey
        (digitcam.normalise.to_gray), where the caller has it already. ``sheet``: the frame before
        was read face-on (``result.face_on``): where a sheet at a slant is found again and reads
        digits face-on, it alone is read, in one pass (as a known lean is); else the frame is read
        as usual."""
        t0 = time.perf_counter()
        frame = np.asarray(frame)
        if frame.ndim < 2 or min(frame.shape[:2]) < 2:  # empty, 1-D or a single row: nothing to read
            h, w = frame.shape[:2] if frame.ndim >= 2 else (0, 0)
            return Result(int(w), int(h))
        height, width = frame.shape[:2]
        gray = to_gray(frame) if gray is None else gray
        turn = 0 if self.rotation == "auto" else int(self.rotation)
        if turn:
            gray = orientation.rotate(gray, turn)
        fixed_turn = turn
        view, to_view = gray, None     # the part read, and the map from frame to it
        if roi is not None:
            rx, ry, rw, rh = _clip(tuple(int(v) for v in roi), gray.shape[1], gray.shape[0])
            view = gray[ry:ry + rh, rx:rx + rw]
            to_view = np.array([[1.0, 0.0, -rx], [0.0, 1.0, -ry]])
        tf = time.perf_counter()
        if self.focus:   # smeared or out of focus, it is read mended, as measured at the scale it is read at
            view = focus_stage.restored(view, scale_stage.first_scale(view.shape, self.base_side) if scale is None else scale)
            gray = view if roi is None else gray
        focus_ms = (time.perf_counter() - tf) * 1e3
        seen = view                    # the frame as read, before a turn its digits call for
        paged = self.page and roi is None   # (the page stage reads whole frames only)
        color = frame if paged and frame.ndim == 3 and frame.shape[2] >= 3 and frame.dtype == np.uint8 else None
        color = None if color is None else orientation.rotate(color, fixed_turn)
        tried = sheet and paged
        if tried:
            tp = time.perf_counter()
            face = self._face_on(seen, -np.inf, color)
            if face is not None and face[0].chosen:   # (a sheet with nothing on it: the frame is read as usual)
                look, m, n = face
                return self._finish(look, m, seen, (width, height), fixed_turn, 0.0, None, True, t0,
                                    {"focus": focus_ms, "page": (time.perf_counter() - tp) * 1e3, "looks": float(n)})
        looks = 0
        applied, m = 0.0, to_view
        if tilt is not None and abs(tilt) >= tilt_stage.MIN_TILT:   # live: levelled by the last frame's lean
            applied = float(tilt)
            levelled, m = tilt_stage.level(view, applied)
            m = tilt_stage.compose(m, to_view)
            look, looks = self._read(levelled, at=scale)
        else:
            look, looks = self._read(view, decide_turn=self.rotation == "auto", at=scale)
            if look.turn:
                turn = look.turn
                gray = view = orientation.rotate(gray, turn)
        sure = self._sure_boxes(look) if self.deskew else np.zeros((0, 4))
        # (a part of a frame, read around the digits live follows, needs no rules to find its lean)
        density = look.density if roi is None else None
        residual, by_rules = tilt_stage.lean_to_level(sure, density) if self.deskew else (0.0, False)
        lean = tilt_stage.fold(applied + residual)
        skipped = None
        if residual and rejected is not None and abs(tilt_stage.fold(lean - rejected)) < tilt_stage.BIN:
            residual, skipped = 0.0, rejected   # tried on the frame before, and not kept
        kept = False
        if residual:
            # the lines lean (scan), or lean otherwise than the frame before (live): read levelled
            # the ways the lean may be, and keep the reading that is surest
            best = _sureness(look)
            at, part = scale, None
            if at is None and look.scale > scale_stage.first_scale(view.shape, self.base_side):
                # its digits needed a closer look (at a part of the frame): levelled, they need the same
                at, part = look.scale, look.part
            for way in tilt_stage.choices(tilt_stage.fold(applied + residual)):
                levelled, lm = tilt_stage.level(view, way)
                m2 = tilt_stage.compose(lm, to_view)
                # a page levelled may stand on its side or its head (a lean folds a quarter turn
                # into it, and rules cannot tell): which way up it is, its digits say, as of a
                # photo read as it is
                other, n = self._read(levelled, at=at, decide_turn=self.rotation == "auto",
                                      part=None if part is None else scale_stage.part_or_whole(
                                          tilt_stage.box_into(part, lm), levelled.shape))
                if other.turn:
                    m2 = tilt_stage.compose(orientation.turn_map(other.turn, levelled.shape[1], levelled.shape[0]), m2)
                looks += n
                if (_sureness(other) + tilt_stage.LEVEL_FAVOUR > best
                        and (not by_rules or tilt_stage.confirmed(self._sure_boxes(other)))):
                    look, applied, m, best = other, way, m2, _sureness(other)
                    kept = True
            skipped = None if kept else lean
        elif applied and len(sure) < 2:
            applied = 0.0   # nothing left to hold the lean by: read the next frame as it is
        tp = time.perf_counter()
        # (a sheet looked for in this frame already, and not found at a slant, is not looked for again)
        face = self._face_on(seen, _sureness(look), color) if paged and not tried else None
        page_ms = (time.perf_counter() - tp) * 1e3   # (finding the sheet, and reading it face-on where it slants)
        if face is not None:   # the sheet read face-on reads surer: its map replaces the lean's
            look, m, n = face
            looks += n
            applied, skipped, turn, gray = 0.0, None, fixed_turn, seen
        return self._finish(look, m, gray, (width, height), turn, applied, skipped, face is not None, t0,
                            {"focus": focus_ms, "page": page_ms, "looks": float(looks)})

    def _finish(self, look: Look, m: np.ndarray | None, gray: np.ndarray, size: tuple[int, int], turn: int,
                applied: float, skipped: float | None, face_on: bool, t0: float, timings: dict[str, float]) -> Result:
        """The result of the look kept: its digits and numbers in the frame's pixels (``m``: the
        map from ``gray``'s pixels to the look's; ``turn``: degrees ``gray`` was turned from the
        frame, of ``size``), what live passes to the next frame, and the timings."""
        t1 = time.perf_counter()
        result = self._result(look, gray.shape[1], gray.shape[0], m)
        result.tilt = round(applied, 1)
        result.rejected_lean = skipped
        result.face_on = face_on
        if face_on:   # (the next frame is read as it comes: at the scale of its digits as they show in it)
            heights = np.array([d.box[3] for d in result.detections], np.float64)
        else:
            heights = np.array([look.batch.hyps[i].box[3] / look.scale for i in look.chosen])
        result.next_scale = scale_stage.next_scale(gray.shape, self.base_side, heights)
        if turn:
            result = _turned_back(result, turn, *size)
        result.timings = {**look.timings, **timings, "group": (time.perf_counter() - t1) * 1e3,
                          "total": (time.perf_counter() - t0) * 1e3}
        return result

    def _read(self, gray: np.ndarray, decide_turn: bool = False, at: float | None = None,
              part: tuple[int, int, int, int] | None = None) -> tuple[Look, int]:
        """The first look, the page turned upright if asked, and a closer look if the digits are
        small; or, ``at`` a known scale, that one look (at ``part`` of the frame, if given; turned
        upright if asked, then all of it)."""
        first = scale_stage.first_scale(gray.shape, self.base_side) if at is None else at
        look = self.look(gray, first, part if at is not None else None)
        looks = 1
        if decide_turn:
            turn, _ = orientation.decide(self.classifier, look.batch)
            if turn:
                gray = orientation.rotate(gray, turn)
                look = self.look(gray, scale_stage.first_scale(gray.shape, self.base_side) if at is None else at)
                look.turn = turn
                looks += 1
        if at is not None:
            return look, looks
        if self.second_look:
            heights = np.array([look.batch.hyps[i].box[3] for i in look.chosen])
            if len(heights) == 0 and self.search_small:
                heights = np.array([h.box[3] for h in look.batch.hyps if h.parent < 0 and not h.twin])
                heights = heights if len(heights) >= 3 else heights[:0]
            closer = scale_stage.second_scale(gray.shape, look.scale, heights)
            if closer is not None:
                turn = look.turn
                read = np.array([look.batch.hyps[i].box for i in look.chosen], np.float64).reshape(-1, 4) / look.scale
                look = self.look(gray, closer, scale_stage.closer_box(read, gray.shape))
                look.turn = turn
                looks += 1
        return look, looks

    def _face_on(self, gray: np.ndarray, sureness: float, color: np.ndarray | None = None) -> tuple[Look, np.ndarray, int] | None:
        """The sheet in ``gray`` (and ``color``, the same frame in colour, if it is) read face-on
        (engine.page): its look, the 3x3 map from ``gray``'s pixels to the look's, and the looks
        taken; None where no sheet is seen at a slant, or its face-on reading is not surer than
        ``sureness`` by FAVOUR."""
        found = page_stage.find(gray, color)
        warp = None if found is None else page_stage.face_on(found, (gray.shape[1], gray.shape[0]))
        if warp is None:
            return None
        m, size = warp
        sheet = cv2.warpPerspective(gray, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        look, looks = self._read(sheet, decide_turn=self.rotation == "auto")
        if look.turn:
            m = page_stage.as3x3(orientation.turn_map(look.turn, size[0], size[1])) @ m
        if _sureness(look) <= sureness + page_stage.FAVOUR:
            return None
        return look, m, looks

    def _sure_boxes(self, look: Look) -> np.ndarray:
        """Boxes of the regions that read as digits at least fairly surely (the lean's voters)."""
        idx = choose(look.batch, look.probs, tilt_stage.SURE) if len(look.batch) else []
        return np.array([look.batch.hyps[i].box for i in idx], np.float64).reshape(-1, 4)

    def _result(self, look: Look, width: int, height: int, level: np.ndarray | None = None) -> Result:
        """Detections and numbers in frame pixels; ``level``: the frame -> levelled map the look was
        read under (numbers are grouped along the levelled lines, then boxes are mapped back)."""
        result = Result(width, height)
        lw, lh = look.size
        dets = []
        for i in look.chosen:
            hyp = look.batch.hyps[i]
            p = look.probs[i]
            x, y, w, h = (v / look.scale for v in hyp.box)
            if look.part is not None:
                x, y = x + look.part[0], y + look.part[1]
            x0, y0 = int(np.floor(x)), int(np.floor(y))
            box = (x0, y0, max(1, int(np.ceil(x + w)) - x0), max(1, int(np.ceil(y + h)) - y0))
            box = _clip(box, lw, lh)
            digits = p[:10] / max(float(p[:10].sum()), 1e-9)
            dets.append(Detection(box, int(digits.argmax()), float(p[:10].max()), digits, look.batch.digits[i]))
        if self.alone and dets:
            speck = alone_stage.specks(np.array([d.box for d in dets]), width, height, np.array([d.confidence for d in dets]))
            dets = [d for d, s in zip(dets, speck) if not s]
        if self.marks and dets:
            mark = marks_stage.marks(np.array([d.box for d in dets]))
            dets = [d for d, s in zip(dets, mark) if not s]
        unmap = None if level is None else page_stage.box_back if np.shape(level) == (3, 3) else tilt_stage.box_back
        if unmap is not None:
            # a levelled (or face-on) image is a canvas larger than the frame, its corners the frame's
            # edges repeated: what it reads there, outside the frame, is streaks
            in_frame = {id(d): unmap(d.box, level) for d in dets}   # (grouping keeps the objects)
            dets = [d for d in dets if _centre_inside(in_frame[id(d)], width, height)]
        result.detections, result.numbers = grouping.read(dets)
        if unmap is not None:
            from dataclasses import replace

            result.detections = [replace(d, box=_clip(in_frame[id(d)], width, height)) for d in result.detections]
            result.numbers = [replace(n, box=_clip(unmap(n.box, level), width, height)) for n in result.numbers]
        return result


def _mixed(heads: dict[str, np.ndarray], how: str) -> np.ndarray:
    """Both heads' judgement: the normalised geometric mean of their probabilities.

    The context head tells a digit from a floorboard gap or a letter's stroke, but it learned
    from rendered rows whose digits share one height, and calls a digit with a long tail, taller
    than its neighbours, "not a digit" (a 7 or 9 of a hand that writes them long); the crop head
    reads the shape alone. A class both find likely wins. Dev set: F1 0.898 (context) -> 0.906.
    """
    if how != "both":
        raise ValueError(f"unknown head {how!r}: use both, context or crop")
    g = heads["context"] ** CONTEXT_WEIGHT * heads["crop"] ** (1.0 - CONTEXT_WEIGHT) + 1e-12
    return g / g.sum(axis=1, keepdims=True)


def _sureness(look: Look) -> float:
    """Summed digit confidence of a look's reading: which of two readings of a frame to keep."""
    return float(sum(look.probs[i, :10].max() for i in look.chosen))


def _turned_back(result: Result, turn: int, width: int, height: int) -> Result:
    """A result read on the frame turned ``turn`` degrees, with its boxes in the frame's own pixels
    (numbers keep the reading order of the upright page)."""
    from dataclasses import replace

    back = lambda b: _clip(orientation.box_back(b, turn, width, height), width, height)  # noqa: E731
    out = Result(width, height, rotation=turn, tilt=result.tilt, next_scale=result.next_scale,
                 rejected_lean=result.rejected_lean)
    out.detections = [replace(d, box=back(d.box)) for d in result.detections]
    out.numbers = [replace(n, box=back(n.box)) for n in result.numbers]
    return out


def _centre_inside(box: tuple[int, int, int, int], width: int, height: int) -> bool:
    x, y, w, h = box
    return 0 <= x + w / 2 < width and 0 <= y + h / 2 < height


def _clip(box: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    x, y, w, h = box
    x0, y0 = min(max(0, x), width - 1), min(max(0, y), height - 1)
    x1, y1 = min(width, x + w), min(height, y + h)
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)

"""Pure stages of the engine, without a model: strokes, hypotheses, selection, grouping."""

import cv2
import pytest
import numpy as np

from digitcam.engine.candidates import Hypothesis, join_matrix, propose
from digitcam.engine import shade
from digitcam.engine.components import LabelMap, find_strokes
from digitcam.engine.crops import SPLIT_FROM, Batch, build, chunks, concatenate, context_from_digit
from digitcam.engine.ink import DARK, LIGHT
from digitcam.engine.select import choose
from digitcam import synth
from digitcam.grouping import lines, numbers, reading_order


def page(h=300, w=400, value=225):
    return np.full((h, w), value, np.uint8)


def hypotheses(img):
    strokes = find_strokes(img)
    return strokes, propose(strokes, img.shape)


def boxes_of(hyps, polarity=None):
    return [h.box for h in hyps if h.parent < 0 and (polarity is None or h.polarity == polarity)]


def contains(outer, inner, slack=3):
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ox - slack <= ix and oy - slack <= iy and ix + iw <= ox + ow + slack and iy + ih <= oy + oh + slack


def test_reading_order_is_lines_then_left_to_right():
    boxes = np.array([[200, 110, 20, 30], [10, 10, 20, 30], [100, 112, 20, 30], [50, 8, 20, 30]])
    assert reading_order(boxes) == [1, 3, 2, 0]
    assert lines(boxes) == [[1, 3], [2, 0]]


def test_numbers_split_on_wide_gaps_and_height_changes():
    boxes = np.array([[0, 0, 20, 40], [25, 0, 20, 40], [50, 2, 20, 38],   # "123"
                      [150, 0, 20, 40],                                       # far away: its own number
                      [175, 10, 8, 12]])                                      # much smaller: not part of it
    assert sorted(numbers(boxes)) == [[0, 1, 2], [3], [4]]


def test_dark_and_light_ink_are_both_proposed():
    img = page()
    cv2.putText(img, "4", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 3, 20, 8)
    cv2.rectangle(img, (200, 30), (380, 270), 30, -1)           # a chalkboard patch
    cv2.putText(img, "7", (250, 200), cv2.FONT_HERSHEY_SIMPLEX, 3, 240, 8)
    _, hyps = hypotheses(img)
    assert {h.polarity for h in hyps} == {DARK, LIGHT}


def test_a_digit_in_several_strokes_is_proposed_whole_and_in_parts():
    img = page()
    # a "5" written as two strokes that do not touch: the flag and the body
    cv2.line(img, (100, 52), (160, 52), 20, 6)
    cv2.line(img, (100, 68), (100, 120), 20, 6)
    cv2.ellipse(img, (120, 150), (35, 32), 0, -120, 150, 20, 6)
    _, hyps = hypotheses(img)
    boxes = boxes_of(hyps, DARK)
    whole = [b for b in boxes if b[1] <= 52 and b[1] + b[3] >= 180]
    assert whole, boxes
    assert len(boxes) >= 2, "the parts are hypotheses too"


def test_side_by_side_digits_are_not_proposed_merged():
    img = page()
    cv2.putText(img, "1", (100, 180), cv2.FONT_HERSHEY_SIMPLEX, 4, 20, 10)
    cv2.putText(img, "2", (170, 180), cv2.FONT_HERSHEY_SIMPLEX, 4, 20, 10)
    _, hyps = hypotheses(img)
    assert len(boxes_of(hyps, DARK)) == 2


def test_a_stacked_column_keeps_every_digit_as_its_own_hypothesis():
    img = page(620, 200)
    for i, ch in enumerate("28867"):
        cv2.putText(img, ch, (60, 100 + 115 * i), cv2.FONT_HERSHEY_SIMPLEX, 3, 25, 7)
    _, hyps = hypotheses(img)
    boxes = boxes_of(hyps, DARK)
    singles = [b for b in boxes if 50 < b[3] < 100]
    assert len(singles) >= 5, boxes


def test_join_rules():
    flag_and_body = np.array([[100, 50, 60, 10], [95, 65, 70, 60]])
    assert join_matrix(flag_and_body)[0, 1]
    side_by_side = np.array([[0, 0, 30, 50], [35, 0, 30, 50]])
    assert not join_matrix(side_by_side).any()
    far_rows = np.array([[0, 0, 30, 50], [0, 90, 30, 50]])
    assert not join_matrix(far_rows).any()


def test_ruled_lines_do_not_glue_digits_together():
    img = page(300, 600)
    for y in range(20, 300, 40):
        cv2.line(img, (0, y), (600, y), 150, 1)
    for i, ch in enumerate("3859"):
        cv2.putText(img, ch, (60 + 120 * i, 170), cv2.FONT_HERSHEY_SIMPLEX, 3, 25, 7)
    _, hyps = hypotheses(img)
    singles = [h.box for h in hyps if len(h.members) == 1 and h.box[3] > 40 and h.polarity == DARK]
    assert len(singles) == 4, singles
    assert all(b[2] < 120 for b in singles), "a rule was kept and joined digits"


def test_nothing_is_proposed_on_blank_pages_and_noise():
    assert hypotheses(page())[1] == []
    rng = np.random.default_rng(0)
    noisy = np.clip(page().astype(np.float32) + rng.normal(0, 3, (300, 400)), 0, 255).astype(np.uint8)
    assert hypotheses(noisy)[1] == []


def test_wide_regions_are_also_proposed_as_pieces():
    img = page(200, 400)
    cv2.putText(img, "42", (60, 150), cv2.FONT_HERSHEY_SIMPLEX, 4, 25, 9)
    cv2.line(img, (120, 140), (160, 140), 25, 9)  # the two digits touch: one stroke
    strokes, hyps = hypotheses(img)
    batch = build(img, strokes, hyps)
    pieces = [h for h in batch.hyps if h.parent >= 0 and h.polarity == DARK]
    assert len(pieces) >= 2
    halves = [p for p in pieces if p.box[2] < 0.7 * batch.hyps[p.parent].box[2]]
    assert any(p.piece == 0 for p in halves) and any(p.end == p.pieces for p in halves), "a left and a right piece"
    assert batch.digits.shape == (len(batch), 28, 28) and batch.contexts.shape == (len(batch), 32, 32)


def test_pieces_go_to_the_regions_first_in_line_up_to_the_frame_budget():
    img = page(200, 1200)
    for x0 in (40, 320, 600, 880):  # four touching pairs, each one stroke
        cv2.putText(img, "42", (x0, 150), cv2.FONT_HERSHEY_SIMPLEX, 4, 25, 9)
        cv2.line(img, (x0 + 60, 140), (x0 + 100, 140), 25, 9)
    strokes, hyps = hypotheses(img)
    wide = [i for i, h in enumerate(hyps) if h.polarity == DARK and h.box[2] > SPLIT_FROM * h.box[3]]
    assert len(wide) == 4
    every = [h for h in build(img, strokes, hyps).hyps if h.parent >= 0]
    per_region = len(every) // 4
    assert per_region >= 2 and len({h.parent for h in every}) == 4, "each of the four is split"
    some = build(img, strokes, hyps, max_pieces=per_region + 1)
    pieces = [h for h in some.hyps if h.parent >= 0]
    assert len(pieces) == per_region + 1, "the budget is spent, not exceeded"
    parents = [some.hyps[h.parent].box for h in pieces]
    first = min(wide)   # the region first in line gets all its pieces, the next what is left
    assert parents.count(hyps[first].box) == per_region
    assert len([h for h in build(img, strokes, hyps, max_pieces=0).hyps if h.parent >= 0]) == 0


def test_the_batch_built_in_chunks_is_the_batch_built_whole():
    img = page(200, 1200)
    for x0 in (40, 320, 600, 880):  # four touching pairs: pieces point at their regions
        cv2.putText(img, "42", (x0, 150), cv2.FONT_HERSHEY_SIMPLEX, 4, 25, 9)
        cv2.line(img, (x0 + 60, 140), (x0 + 100, 140), 25, 9)
    strokes, hyps = hypotheses(img)
    whole = build(img, strokes, hyps, max_pieces=7)
    parts = list(chunks(img, strokes, hyps, max_pieces=7, chunk=2))
    assert len(parts) > 2 and all(len(p) >= 2 for p in parts[:-1])
    joined = concatenate(parts)
    assert [h.key for h in joined.hyps] == [h.key for h in whole.hyps], "the same pieces, parents in the whole batch"
    assert np.array_equal(joined.digits, whole.digits) and np.array_equal(joined.contexts, whole.contexts)


def test_a_frame_read_in_chunks_reads_as_read_in_one_call(classifier, mnist_sample):
    """The model reads one chunk of crops in the pool while the next is built: the readings are
    those of one call, on one thread or on several at once (scan's workers)."""
    from concurrent.futures import ThreadPoolExecutor

    from digitcam.engine import Recognizer, reader
    from digitcam.synth import held_up_page, render_scene, wood

    x, y = mnist_sample
    rng = np.random.default_rng(4)
    frames = []
    for _ in range(3):
        idx = rng.integers(0, len(x), 24)
        page_ = render_scene(x[idx], y[idx], rng, size=(600, 800), count=24, height=(34, 52), noise=2.0)
        frames.append(held_up_page(page_, wood(720, 1280, rng), rng).image)
    r = Recognizer(classifier)
    one = [r(f).detections for f in frames]
    old = reader.CHUNK
    try:
        reader.CHUNK = 16
        chunked = [r(f).detections for f in frames]
        with ThreadPoolExecutor(2) as pool:
            together = list(pool.map(lambda f: Recognizer(classifier)(f).detections, frames[:1]))
    finally:
        reader.CHUNK = old
    assert sum(len(d) for d in one) >= 60
    key = lambda dets: [(d.box, d.label, round(d.confidence, 6)) for d in dets]  # noqa: E731
    assert [key(d) for d in chunked] == [key(d) for d in one]
    assert key(together[0]) == key(one[0])


def _probs(rows):
    """Probabilities (N, 11) that read each row's (label, confidence)."""
    out = np.zeros((len(rows), 11), np.float32)
    for i, (label, conf) in enumerate(rows):
        out[i] = (1 - conf) / 10
        out[i, label] = conf
    return out


def test_a_merge_read_as_not_a_digit_leaves_its_strokes_to_be_read_alone():
    hyps = [Hypothesis((0, 0, 20, 100), DARK, np.array([1, 2])),   # two stacked digits merged
            Hypothesis((0, 0, 20, 45), DARK, np.array([1])),
            Hypothesis((0, 55, 20, 45), DARK, np.array([2]))]
    batch = Batch(hyps, np.zeros((3, 28, 28), np.float32), np.zeros((3, 32, 32), np.float32))
    assert sorted(choose(batch, _probs([(10, 0.99), (2, 0.95), (8, 0.9)]), 0.5)) == [1, 2]


def test_each_stroke_is_in_at_most_one_digit_and_the_surer_reading_wins():
    hyps = [Hypothesis((0, 0, 40, 60), DARK, np.array([1, 2])),    # a 5: flag and body
            Hypothesis((0, 0, 40, 8), DARK, np.array([1])),        # the flag alone
            Hypothesis((0, 10, 40, 50), DARK, np.array([2]))]      # the body alone
    batch = Batch(hyps, np.zeros((3, 28, 28), np.float32), np.zeros((3, 32, 32), np.float32))
    assert choose(batch, _probs([(5, 0.99), (7, 0.7), (6, 0.8)]), 0.5) == [0]


def test_a_split_wins_only_where_its_pieces_read_better_than_the_whole():
    whole = Hypothesis((0, 0, 80, 50), DARK, np.array([1]))
    left = Hypothesis((0, 0, 38, 50), DARK, np.array([1]), parent=0, piece=0, end=1, pieces=2)
    right = Hypothesis((42, 0, 38, 50), DARK, np.array([1]), parent=0, piece=1, end=2, pieces=2)
    batch = Batch([whole, left, right], np.zeros((3, 28, 28), np.float32), np.zeros((3, 32, 32), np.float32))
    assert choose(batch, _probs([(0, 0.99), (1, 0.9), (1, 0.95)]), 0.5) == [0]            # a wide 0
    assert sorted(choose(batch, _probs([(10, 0.9), (4, 0.97), (2, 0.96)]), 0.5)) == [1, 2]  # "42"
    assert choose(batch, _probs([(10, 0.9), (4, 0.97), (10, 0.96)]), 0.5) == []            # half is no digit


def test_touching_digits_are_read_as_the_surest_chain_of_pieces():
    # a region with three segments: "1" | "4" | "7"; pieces 0-1, 1-2, 2-3, 0-2, 1-3 and the whole
    spans = [(0, 1, 0.95, 1), (1, 2, 0.9, 4), (2, 3, 0.97, 7), (0, 2, 0.6, 4), (1, 3, 0.99, 10)]
    hyps = [Hypothesis((0, 0, 90, 40), DARK, np.array([1]))]
    rows = [(10, 0.99)]
    for a, b, conf, label in spans:
        hyps.append(Hypothesis((30 * a, 0, 30 * (b - a), 40), DARK, np.array([1]), parent=0, piece=a, end=b, pieces=3))
        rows.append((label, conf))
    batch = Batch(hyps, np.zeros((len(hyps), 28, 28), np.float32), np.zeros((len(hyps), 32, 32), np.float32))
    assert choose(batch, _probs(rows), 0.5) == [1, 2, 3]


def test_a_lone_digit_does_not_orphan_the_touching_digits_it_shares_a_region_with():
    """"1 4" written touching (one stroke) beside a "1" standing clear: the region of both strokes,
    read as the chain 1 | 4 | 1, explains all the ink; the clear 1, read alone and surer than the
    chain's least sure piece, took its stroke first and left the touching pair to read as no digit
    (the dev set's "1411977432" lost its 1 and 4 so)."""
    pair = Hypothesis((0, 0, 50, 40), DARK, np.array([1]))                  # "14" touching
    lone = Hypothesis((56, 0, 10, 40), DARK, np.array([2]))                 # the clear 1
    whole = Hypothesis((0, 0, 66, 40), DARK, np.array([1, 2]))              # both strokes
    pieces = [Hypothesis(box, DARK, np.array([1, 2]), parent=2, piece=a, end=b, pieces=4)   # 1 | 4 | 1
              for box, a, b in (((0, 0, 16, 40), 0, 1), ((16, 0, 34, 40), 1, 3), ((56, 0, 10, 40), 3, 4))]
    hyps = [pair, lone, whole, *pieces]
    batch = Batch(hyps, np.zeros((6, 28, 28), np.float32), np.zeros((6, 32, 32), np.float32))
    rows = [(10, 0.9), (1, 1.0), (10, 0.99), (1, 0.93), (4, 0.99), (1, 0.99)]
    assert sorted(choose(batch, _probs(rows), 0.5)) == [3, 4, 5]
    # where the chain reads the clear digit otherwise, the surer lone reading stands
    rows[5] = (7, 0.99)
    assert choose(batch, _probs(rows), 0.5) == [1]


def test_a_digit_read_from_part_of_its_strokes_gives_way_to_the_whole_that_reads_the_same():
    """A thin pen's 4 whose stem broke below the bar: its top (two strokes) reads 4, the stem's
    lower part 1, and all three strokes 4. The dev set's lone 4 was read "4 1" so."""
    top = Hypothesis((0, 0, 58, 48), DARK, np.array([1, 2]))
    stem = Hypothesis((54, 48, 6, 22), DARK, np.array([3]))
    whole = Hypothesis((0, 0, 60, 70), DARK, np.array([1, 2, 3]))
    batch = Batch([top, stem, whole], np.zeros((3, 28, 28), np.float32), np.zeros((3, 32, 32), np.float32))
    assert choose(batch, _probs([(4, 1.0), (1, 0.78), (4, 0.999)]), 0.5) == [2]
    # the whole reading another digit, or less sure than the stem's own reading: the parts stand
    assert sorted(choose(batch, _probs([(4, 1.0), (1, 0.78), (9, 0.999)]), 0.5)) == [0, 1]
    assert sorted(choose(batch, _probs([(4, 1.0), (1, 0.9), (4, 0.8)]), 0.5)) == [0, 1]
    # two digits of the same class merged (a stacked 1 over a 1) are no one digit
    assert sorted(choose(batch, _probs([(1, 1.0), (1, 0.78), (1, 0.999)]), 0.5)) == [0, 1]


def test_the_context_of_a_digit_alone_shows_it_in_the_middle():
    d = np.zeros((1, 28, 28), np.float32)
    d[0, 4:24, 12:16] = 1.0
    c = context_from_digit(d)[0]
    assert c.shape == (32, 32) and c[16, 16] > 0.5 and c[:6].max() == 0 and c[-6:].max() == 0


def test_reading_a_part_of_the_frame_gives_frame_boxes(recognizer, mnist_sample):
    """live reads only the part of the frame around the digits it follows: the same digits, in
    the frame's own pixels, and none from outside the part."""
    from digitcam.synth import render_scene

    x, y = mnist_sample
    scene = render_scene(x[:8], y[:8], np.random.default_rng(1), size=(480, 640), count=8, height=(40, 50))
    whole = recognizer(scene.image)
    boxes = np.array([d.box for d in whole.detections])
    x0, y0 = boxes[:, :2].min(axis=0) - 40
    x1, y1 = (boxes[:, :2] + boxes[:, 2:]).max(axis=0) + 40
    part = recognizer(scene.image, roi=(x0, y0, x1 - x0, y1 - y0))
    assert [d.label for d in part.detections] == [d.label for d in whole.detections]
    # (ink levels are estimated over the part read, so a box edge may move by a pixel)
    assert np.abs(np.array([d.box for d in part.detections]) - boxes).max() <= 2
    left = recognizer(scene.image, roi=(0, 0, int(boxes[:, 0].min()) - 5, 480))
    assert left.detections == [] and (left.width, left.height) == (640, 480)


def test_both_returns_in_order_and_raises_what_either_raised():
    from digitcam.engine.threads import both

    assert both(lambda: 1, lambda: "two") == (1, "two")
    with pytest.raises(ZeroDivisionError):
        both(lambda: 1, lambda: 1 / 0)
    with pytest.raises(ValueError):
        both(lambda: int("x"), lambda: 2)


def test_strokes_found_from_several_threads_at_once_are_the_same():
    """scan reads images on two threads; each frame's two polarities and Hough transforms share
    one pool: no deadlock, and the same strokes as one thread finds."""
    from concurrent.futures import ThreadPoolExecutor

    from digitcam.engine.components import find_strokes
    from digitcam.synth import held_up_page, render_scene, wood

    rng = np.random.default_rng(3)
    x = rng.integers(0, 255, (12, 28, 28)).astype(np.uint8)
    page = render_scene(x, np.arange(12) % 10, rng, size=(400, 560), count=12, paper="ruled")
    frames = [cv2.cvtColor(held_up_page(page, wood(480, 640, rng), rng).image, cv2.COLOR_BGR2GRAY) for _ in range(4)]
    alone = [find_strokes(f) for f in frames]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(find_strokes, frames))
    for a, t in zip(alone, together):
        for pa, pt in zip(a, t):
            assert np.array_equal(pa.stats, pt.stats)


def test_a_hypothesis_mask_holds_exactly_its_strokes():
    """Crops mask each hypothesis' strokes in the label map: the same pixels as np.isin, for one
    stroke, a few, and many (a lookup table), with labels above and below the members'."""
    from digitcam.engine.crops import _members

    rng = np.random.default_rng(3)
    for dtype in (np.uint16, np.int32):
        labels = rng.integers(0, 400, (50, 70)).astype(dtype)
        for k in (1, 3, 4, 5, 12, 40):
            members = rng.choice(np.arange(1, 300), k, replace=False).astype(np.int32)
            assert np.array_equal(_members(labels, members), np.isin(labels, members)), (dtype, k)


def test_a_small_digit_far_from_any_other_is_a_speck():
    from digitcam.engine.alone import ALONE, LONE_SIZE, specks

    w, h = 4000, 3000
    small = int(LONE_SIZE * h) - 10          # 80 px: small on this photo
    lone = (100, 100, small // 2, small)
    # alone in the photo: a speck; the same digit large, a third of the photo: its subject
    assert specks(np.array([lone]), w, h).tolist() == [True]
    assert specks(np.array([(100, 100, 500, 1000)]), w, h).tolist() == [False]
    # a number of small digits: none is alone
    number = [(1500 + 60 * k, 1400, small // 2, small) for k in range(4)]
    assert not specks(np.array(number), w, h).any()
    # the same small digit far from the number is still a speck; near it, one of its company
    far = (1500, 1400 + int((ALONE + 1) * small), small // 2, small)
    near = (1500, 1400 + int((ALONE - 1) * small), small // 2, small)
    assert specks(np.array(number + [far]), w, h).tolist() == [False] * 4 + [True]
    assert specks(np.array(number + [near]), w, h).tolist() == [False] * 5
    # a digit on its side is measured by its longer side, as upright
    assert specks(np.array([(100, 100, small, small // 2)]), w, h).tolist() == [True]
    assert specks(np.zeros((0, 4)), w, h).tolist() == []


def test_a_digit_alone_needs_a_surer_reading():
    """A digit with no other within ALONE heights, under LONE_UNSURE_SIZE of the shorter side, is
    dropped when read less surely than LONE_CONFIDENCE (a ripple, a raindrop read at 0.7-0.8); in
    company, read surely, or the picture's subject, it stays."""
    from digitcam.engine.alone import LONE_CONFIDENCE, specks

    w, h = 1280, 720
    modest = (500, 200, 36, 60)                      # 8% of the shorter side: no speck by size
    unsure, sure = LONE_CONFIDENCE - 0.1, LONE_CONFIDENCE + 0.05
    assert specks(np.array([modest]), w, h, np.array([unsure])).tolist() == [True]
    assert specks(np.array([modest]), w, h, np.array([sure])).tolist() == [False]
    assert specks(np.array([modest]), w, h).tolist() == [False]     # confidence unknown: size alone
    subject = (400, 100, 300, 500)                   # the subject of the picture stands, however unsure
    assert specks(np.array([subject]), w, h, np.array([unsure])).tolist() == [False]
    number = [(300 + 70 * k, 300, 36, 60) for k in range(3)]
    assert specks(np.array(number), w, h, np.array([unsure] * 3)).tolist() == [False] * 3
    # company that is itself a speck keeps no one company: a small speck beside the digit goes,
    # and the digit is then alone
    speck = (620, 330, 8, 12)                        # within ALONE of the digit's heights, not it of its
    assert specks(np.array([modest, speck]), w, h, np.array([unsure, 0.99])).tolist() == [True, True]


def test_a_digit_holding_digits_is_a_loop_and_a_small_low_one_beside_a_digit_a_comma():
    from digitcam.engine.marks import commas, loops

    circle = [0, 0, 300, 120]
    inside = [[40, 30, 40, 60], [100, 30, 40, 60]]
    assert loops(np.array([circle, *inside])).tolist() == [True, False, False]
    speck = [140, 50, 6, 8]                                      # a speck in a 0's loop: the 0 stays
    assert loops(np.array([[120, 20, 50, 70], speck])).tolist() == [False, False]
    row = [[0, 100, 40, 60], [50, 100, 40, 60]]
    comma = [95, 145, 8, 22]                                     # hangs from the baseline
    superscript = [95, 90, 12, 25]                               # small, but high: a digit
    assert commas(np.array([*row, comma])).tolist() == [False, False, True]
    assert commas(np.array([*row, superscript])).tolist() == [False, False, False]
    assert not commas(np.array([*row, [95, 100, 35, 58]])).any()   # a digit of the number
    assert not commas(np.array([*row, [400, 145, 8, 22]])).any()   # far from any digit
    assert not commas(np.array([*row, [95, 140, 20, 20]])).any()   # round and on the line: a small 0


def test_the_printed_reader_is_heard_only_where_it_is_sure_of_a_digit_1_to_9_and_surer_than_the_cnn():
    from digitcam.engine.printed import SURE, heard

    def row(k, p):
        r = np.full(11, (1 - p) / 10, np.float32)
        r[k] = p
        return r

    cnn = np.stack([row(10, 0.7), row(10, 0.7), row(10, 0.7), row(3, 0.9995), row(10, 0.9)])
    printed = np.stack([row(1, 0.999), row(1, SURE - 0.05), row(0, 0.999), row(8, 0.999), row(10, 0.999)])
    out = heard(cnn, printed)
    assert out[0].argmax() == 1                     # a printed 1 the CNN called no digit: heard
    assert out[1].argmax() == 10                    # unsure: not heard
    assert out[2].argmax() == 10                    # a printed 0 is left to the CNN (coins, o's)
    assert out[3].argmax() == 3                     # the CNN is surer of its digit: it stands
    assert out[4].argmax() == 10
    assert np.array_equal(heard(cnn, printed[:, :] * 0 + row(10, 1.0)), cnn)
    assert heard(cnn[:0], printed[:0]).shape == (0, 11)


def test_edges_are_measured_wider_out_of_focus_and_only_such_a_frame_is_sharpened():
    from digitcam.engine import focus

    img = page(240, 320)
    for i, text in enumerate(("12", "345")):
        cv2.putText(img, text, (30 + 120 * i, 140), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 30, 3, cv2.LINE_AA)
    sharp = focus.edge_width(img)
    blurred = cv2.GaussianBlur(img, (0, 0), 1.2)
    assert 1.0 < sharp <= focus.BLURRED < focus.edge_width(blurred), (sharp, focus.edge_width(blurred))
    same, _ = focus.sharpened(img)
    assert same is img, "a frame in focus is read as it is"
    restored, width = focus.sharpened(blurred)
    assert width > focus.BLURRED and focus.edge_width(restored) < width, "sharpened, its edges are narrower"
    # measured at the scale it is read at: the same blur on a photo twice the size, read at half
    big = cv2.GaussianBlur(cv2.resize(img, (640, 480), interpolation=cv2.INTER_CUBIC), (0, 0), 1.2)
    assert focus.sharpened(big, 0.5)[0] is big
    # read enlarged (live's closer look), a frame in focus is still in focus
    assert focus.sharpened(img, 2.0)[0] is img


def _written_page(h: int = 360, w: int = 480) -> np.ndarray:
    img = page(h, w)
    for i, text in enumerate(("1234", "5678", "90 12")):
        cv2.putText(img, text, (30, 90 + 110 * i), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 30, 4, cv2.LINE_AA)
    return img


@pytest.mark.parametrize("degrees", [0, 35, 90, 150])
def test_a_smear_is_measured_along_its_direction_and_deconvolved(degrees):
    """A page moved while the shutter was open: its edges across the motion widen, those along it
    stay sharp (engine.motion). The measure finds the direction and about the length, and the
    deconvolution narrows the smeared edges again; the page still, blurred the same way all round
    (out of focus), or a grain of wood or stripes is not taken for a smear."""
    from digitcam.engine import focus, motion

    img = _written_page()
    angle = np.radians(degrees)
    smeared = cv2.filter2D(img, -1, motion.line(7, angle), borderType=cv2.BORDER_REFLECT)
    found = motion.smear(smeared)
    assert found is not None and found.found, found
    off = np.degrees(abs((found.angle - angle + np.pi / 2) % np.pi - np.pi / 2))
    assert off <= 15 and 4.5 <= found.length <= 9.5, (found, off)
    mended = motion.deconvolved(smeared, motion.line(found.length, found.angle))
    assert motion.smear(mended).swing < 0.7 * found.swing, "deconvolved, the smeared edges are nearer as sharp as the others"
    assert np.array_equal(focus.restored(smeared), mended), "the engine reads a smeared frame deconvolved"
    still = motion.smear(img)
    assert not still.found and still.swing < motion.MIN_SWING / 2, still
    assert not motion.smear(cv2.GaussianBlur(img, (0, 0), 1.5)).found, "out of focus all round is no smear"
    rng = np.random.default_rng(degrees)
    for texture in (synth.wood, synth.stripes):
        grain = np.clip(texture(360, 480, rng), 0, 255).astype(np.uint8)
        grain = cv2.cvtColor(grain, cv2.COLOR_BGR2GRAY) if grain.ndim == 3 else grain
        s = motion.smear(grain)
        assert s is None or not s.found, (texture.__name__, s)
    assert motion.smear(np.full((100, 100), 200, np.uint8)) is None, "a blank frame has no edge to measure"


def test_the_motion_blur_line_is_a_centred_line_of_its_length():
    from digitcam.engine import motion

    for length, degrees in ((1, 0), (5, 0), (9, 30), (6.5, 90)):
        k = motion.line(length, np.radians(degrees))
        assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1 and abs(k.sum() - 1) < 1e-5
        assert np.allclose(k, k[::-1, ::-1], atol=1e-6), "centred: the frame is not shifted"
        ys, xs = np.nonzero(k > 1e-4)
        c = (k.shape[0] - 1) / 2
        reach = np.hypot(xs - c, ys - c).max()
        assert length / 2 - 1 <= reach <= length / 2 + 1, (length, reach)
    flat = np.full((40, 60), 128, np.uint8)
    assert np.abs(motion.deconvolved(flat, motion.line(7, 0.3)).astype(int) - 128).max() <= 1, "a flat frame stays flat"


def test_the_closer_look_reads_the_digits_read_so_far_and_their_surroundings():
    from digitcam.engine.scale import MARGIN, closer_box

    boxes = np.array([[100, 200, 10, 20], [130, 205, 12, 20], [160, 210, 10, 22]])
    x, y, w, h = closer_box(boxes, (480, 640))
    pad = MARGIN * 20
    assert (x, y) == (int(100 - pad), int(200 - pad)), (x, y)
    assert (x + w, y + h) == (int(170 + pad), int(232 + pad)), (x, y, w, h)
    assert closer_box(np.zeros((0, 4)), (480, 640)) is None                      # nothing read yet
    assert closer_box(np.array([[0, 0, 20, 30], [600, 440, 20, 30]]), (480, 640)) is None   # most of it
    assert closer_box(np.array([[5, 5, 10, 20]]), (480, 640))[:2] == (0, 0)     # clipped to the frame


def _shaded_page_before_a_wall(h=720, w=1280):
    """A page darker at its top-left corner (lit from the right) held up in front of a brighter
    wall, a row of six digits along its top: (frame, the row's box)."""
    frame = np.full((h, w), 218, np.uint8)
    x0, y0, x1, y1 = 420, 200, 1000, 600
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    t = ((xx - x0) / (x1 - x0) + (yy - y0) / (y1 - y0)) / 2
    frame[y0:y1, x0:x1] = np.clip(168 + 70 * t, 0, 255).astype(np.uint8)
    cv2.putText(frame, "4 8 2 7 1 9", (450, 250), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 70, 3, cv2.LINE_AA)
    return frame, (440, 215, 330, 45)


def test_a_shaded_page_before_a_bright_wall_keeps_the_digits_of_its_dark_corner_apart(monkeypatch):
    """The paper's level along the page's edge is the wall's; the band of the page darker than it
    was one piece of ink holding four of the six digits (engine.shade measures it again)."""
    frame, (bx, by, bw, bh) = _shaded_page_before_a_wall()

    def pieces():
        st = find_strokes(frame)[0].stats
        row = [s for s in st if contains((bx, by, bw, bh), s[:4], slack=0)]
        return len(row), int((st[:, 2] * st[:, 3]).max())

    row, largest = pieces()
    assert row == 6 and largest < 60 * 60, (row, largest)          # each digit its own piece
    monkeypatch.setattr(shade, "FAINT", 0.0)          # the band, not measured again
    row, largest = pieces()
    assert row < 6 and largest > 300 * 100, (row, largest)


def test_only_a_faint_piece_inside_the_frame_is_a_shaded_page():
    """Of three large pieces of dark ink, the shade stage measures again only the one inside the
    frame and faint: a faint one reaching the frame's edge is the scene behind a page (a bright
    fabric), a dark one inside is ink or a dark object."""
    h, w = 300, 400
    labels = np.zeros((h, w), np.uint16)
    labels[0:120, 0:120] = 1        # at the corner
    labels[150:280, 20:150] = 2     # inside, dark
    labels[150:280, 200:330] = 3    # inside, faint
    stats = np.array([[0, 0, 120, 120, 14400], [20, 150, 130, 130, 16900], [200, 150, 130, 130, 16900]])
    paper = np.full((h, w), 200, np.uint8)
    strength = np.full((h, w), 20, np.uint8)
    strength[labels == 2] = 90
    assert shade.faint(stats, LabelMap(labels), paper, strength).tolist() == [2]


def test_a_flat_region_of_dark_ink_gets_a_taller_twin_with_a_taller_context():
    """A digit on a sheet lying on the desk is foreshortened: a flat region of dark ink is also
    read stretched taller, and its context is stretched alike; light ink (a board, a screen,
    which stand upright) gets no such twin."""
    from digitcam.engine import crops

    img = page()
    cv2.ellipse(img, (200, 150), (40, 12), 0, 0, 360, 30, 3)          # a 0 lying flat, 86x28
    strokes, hyps = hypotheses(img)
    batch = build(img, strokes, hyps)
    twins = [i for i, h in enumerate(batch.hyps) if h.tall != 1.0]
    assert len(twins) == 1 and batch.hyps[twins[0]].polarity == DARK and batch.hyps[twins[0]].twin
    whole = next(i for i, h in enumerate(batch.hyps) if h.parent < 0 and h.tall == 1.0 and h.key[:2] == batch.hyps[twins[0]].key[:2])
    assert batch.hyps[twins[0]].tall == pytest.approx(crops.MAX_TALL)
    # the crop of the twin is a ring about as tall as wide; the region's own stays flat
    def extent(d):
        ys, xs = np.nonzero(d > 0.3)
        return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    th, tw = extent(batch.digits[twins[0]])
    oh, ow = extent(batch.digits[whole])
    assert th >= 0.75 * tw and oh <= 0.5 * ow
    # its context shows the ring round too: its ink spans as many rows as columns, near enough
    ch, cw = extent(batch.contexts[twins[0]])
    wh, ww = extent(batch.contexts[whole])
    assert ch >= 0.75 * cw and wh <= 0.5 * ww

    board = 255 - img                                               # the same ring in light ink
    strokes, hyps = hypotheses(board)
    assert not [h for h in build(board, strokes, hyps).hyps if h.tall != 1.0]


def test_a_flat_twin_counts_only_where_it_reads_surely_and_never_as_a_1():
    whole = Hypothesis((0, 0, 90, 30), DARK, np.array([1]))
    twin = Hypothesis((0, 0, 90, 30), DARK, np.array([1]), tall=3.0)
    batch = Batch([whole, twin], np.zeros((2, 28, 28), np.float32), np.zeros((2, 32, 32), np.float32))
    assert choose(batch, _probs([(10, 0.99), (0, 0.995)]), 0.5) == [1]   # a 0 lying flat
    assert choose(batch, _probs([(10, 0.99), (0, 0.95)]), 0.5) == []     # a flat loop: not sure enough
    assert choose(batch, _probs([(10, 0.99), (1, 0.999)]), 0.5) == []    # a dash stretched is no 1

"""The engine on the scenes that broke round 1, rendered here with known truth.

Stacked columns, sudoku grids, small digits on a big photo, a page held up in front of
floorboards or fabric, and digit-free floorboards, stripes and fabric: each asserts what a
user would check (the digits read, and nothing read where there is none).
"""

import cv2
import numpy as np
import pytest

from digitcam.evaluate import match
from digitcam.synth import Scene, fabric, held_up_page, render_scene, specks, stripes, typeset_sudoku, wall, wire_frame, wood


def good_digits(recognizer, x, y):
    """Indices of sample digits the model reads right alone: the tests are about the engine."""
    pred = recognizer.classifier.predict(x / 255.0)[:, :10].argmax(1)
    return np.flatnonzero(pred == y)


def place(page: np.ndarray, digit: np.ndarray, x: int, y: int, height: int, ink=(30, 30, 30)) -> tuple:
    ys, xs = np.nonzero(digit > 40)
    d = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    s = height / d.shape[0]
    big = cv2.resize(d, (max(1, int(d.shape[1] * s)), height), interpolation=cv2.INTER_CUBIC).astype(np.float32) / 255
    a = np.clip((big - 0.3) / 0.4, 0, 1)[..., None]
    h, w = big.shape
    page[y:y + h, x:x + w] = page[y:y + h, x:x + w] * (1 - a) + np.float32(ink) * a
    return (x, y, w, h)


def read_score(recognizer, image, truth, labels):
    result = recognizer(image)
    det = np.array([d.box for d in result.detections], float).reshape(-1, 4)
    pairs = match(det, np.array(truth, float).reshape(-1, 4))
    right = sum(result.detections[d].label == labels[g] for d, g in pairs)
    return right / len(truth), len(det) - len(pairs), result


def test_stacked_columns_are_read_digit_by_digit(recognizer, mnist_sample):
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    page = np.full((700, 560, 3), 232, np.float32)
    truth, labels, k = [], [], 0
    for col in range(4):
        top = 30
        for _ in range(5):
            i = good[k]
            k += 1
            box = place(page, x[i], 40 + 130 * col, top, 100)
            truth.append(box)
            labels.append(int(y[i]))
            top += box[3] + 24  # a gap of a quarter digit: round 1 merged these into one column
    recall, false, _ = read_score(recognizer, page.astype(np.uint8), truth, labels)
    assert recall >= 0.9 and false <= 1, (recall, false)


def test_a_sudoku_grid_is_read_cell_by_cell(recognizer, mnist_sample):
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    cell, n = 60, 9
    page = np.full((n * cell + 40, n * cell + 40, 3), 236, np.float32)
    rng = np.random.default_rng(4)
    truth, labels, k = [], [], 30
    for r in range(n):
        for c in range(n):
            if rng.random() < 0.35:
                i = good[k]
                k += 1
                truth.append(place(page, x[i], 20 + c * cell + 14, 20 + r * cell + 10, 40))
                labels.append(int(y[i]))
    img = page.astype(np.uint8)
    for j in range(n + 1):
        t = 2 if j % 3 == 0 else 1  # box lines twice as bold (3 px and more: docs/history.md, Limits)
        cv2.line(img, (20, 20 + j * cell), (20 + n * cell, 20 + j * cell), (40, 40, 40), t)
        cv2.line(img, (20 + j * cell, 20), (20 + j * cell, 20 + n * cell), (40, 40, 40), t)
    recall, false, _ = read_score(recognizer, img, truth, labels)
    assert recall >= 0.85 and false <= 2, (recall, false)


def test_small_digits_on_a_big_photo_are_read(recognizer, mnist_sample):
    """A 12-megapixel photo with digits 30 px tall: a fixed downscale would shrink them to specks."""
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    page = np.full((3000, 4000, 3), 228, np.float32)
    truth, labels = [], []
    for k in range(12):
        i = good[60 + k]
        truth.append(place(page, x[i], 1500 + 45 * k, 1400, 30))
        labels.append(int(y[i]))
    recall, false, result = read_score(recognizer, page.astype(np.uint8), truth, labels)
    assert recall >= 0.8 and false <= 1, (recall, false)
    assert result.timings["looks"] == 2, "the second look is what finds them"


def test_the_closer_look_reads_only_the_part_of_the_frame_around_the_digits(recognizer, mnist_sample, monkeypatch):
    """A page of small digits held up in a corner of a 640x480 frame: the closer look (twice
    enlarged) reads the page and its surroundings, not the whole frame, and its digits come back
    where they are in the frame."""
    from digitcam.engine import Recognizer

    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    rng = np.random.default_rng(5)
    frame = np.clip(wood(480, 640, rng), 0, 255).astype(np.float32)
    frame[300:420, 360:600] = 226
    truth, labels = [], []
    for k in range(8):
        i = good[90 + k]
        truth.append(place(frame, x[i], 372 + 28 * k, 320 + 40 * (k % 2), 16))
        labels.append(int(y[i]))
    parts = []
    original = Recognizer.look

    def spy(self, gray, scale, part=None):
        parts.append((scale, part))
        return original(self, gray, scale, part)

    monkeypatch.setattr(Recognizer, "look", spy)
    recall, false, result = read_score(recognizer, frame.astype(np.uint8), truth, labels)
    assert recall >= 0.75 and false <= 1, (recall, false)
    assert len(parts) == 2 and parts[0][1] is None and parts[1][0] > 1.25, parts
    px, py, pw, ph = parts[1][1]
    assert pw * ph < 0.5 * 640 * 480, parts[1]                      # a part of the frame ...
    for bx, by, bw, bh in truth:                                       # ... that holds every digit
        assert px <= bx and py <= by and bx + bw <= px + pw and by + bh <= py + ph, (parts[1], (bx, by, bw, bh))


@pytest.mark.parametrize("backdrop", ["wood", "fabric"])
def test_a_page_held_up_in_front_of_a_background(recognizer, mnist_sample, backdrop):
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    rng = np.random.default_rng(21 if backdrop == "wood" else 22)
    total = right = false = 0
    for k in range(3):
        idx = good[100 + 12 * k:112 + 12 * k]
        page = render_scene(x[idx], y[idx], rng, size=(500, 700), count=12, height=(40, 56), group=(2, 4))
        back = (wood if backdrop == "wood" else fabric)(720, 1280, rng)
        frame = held_up_page(page, back, rng)
        r, f, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        total += 1
        right += r
        false += f
    assert right / total >= 0.8 and false <= 3, (right / total, false)


def test_small_rings_strewn_over_a_photo_are_not_read_but_a_number_as_small_is(recognizer, mnist_sample):
    """Knots, raindrops and bokeh: a small ring far from anything else reads as a 0 at 1.00 to
    the model, which sees only the crop and its nearest surroundings. Alone and small in the
    photo it is no digit (engine.alone); the digits of a small number on a note are in company."""
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    right = total = false = 0
    for seed in (1, 3, 7):
        rng = np.random.default_rng(seed)
        img = np.ascontiguousarray(np.clip(wood(1200, 1600, rng), 0, 255), np.float32)
        img[500:620, 700:1000] = 238   # a note
        truth, labels = [], []
        for k in range(4):   # digits 30 px tall: 2.5% of the photo's height
            i = good[200 + 4 * seed + k]
            truth.append(place(img, x[i], 720 + 60 * k, 530, 30))
            labels.append(int(y[i]))
        for cx, cy in [(150, 150), (1450, 200), (200, 1050), (1400, 1000), (800, 150)]:
            cv2.circle(img, (cx, cy), int(rng.integers(6, 12)), (35, 35, 35), int(rng.integers(2, 4)), cv2.LINE_AA)
        r, f, _ = read_score(recognizer, img.astype(np.uint8), truth, labels)
        right, total, false = right + r, total + 1, false + f
    # without engine.alone the rings read as 11 false digits
    assert right / total >= 0.9 and false <= 1, (right / total, false)


def test_a_1_of_one_straight_pen_stroke_held_close_is_read(recognizer):
    """A pen's 1 is as wide as the pen however tall it is: 3-5 px at a third to half of a
    webcam frame's height is 2% of its height, under the 4-6% the hypotheses once required."""
    read = []
    for length in (150, 200, 250):
        for pen in (3, 5):
            for lean in (0, 8):
                img = np.full((480, 640), 226, np.uint8)
                cv2.line(img, (320 + lean, 240 - length // 2), (320, 240 + length // 2), 45, pen, cv2.LINE_AA)
                read.append("".join(str(d.label) for d in recognizer(cv2.GaussianBlur(img, (3, 3), 0)).detections))
    # 6 of the 12 were read before; nothing but a 1 may be read
    assert read.count("1") >= 10 and set(read) <= {"1", ""}, read


@pytest.mark.parametrize("kind", ["floorboards", "stripes", "fabric", "specks"])
def test_digit_free_textures_give_no_digits(recognizer, kind):
    rng = np.random.default_rng({"floorboards": 1, "stripes": 2, "fabric": 3, "specks": 4}[kind])
    found = 0
    for _ in range(3):
        make = {"floorboards": wood, "stripes": stripes, "fabric": fabric, "specks": specks}[kind]
        img = np.clip(make(720, 1280, rng), 0, 255).astype(np.uint8)
        found += len(recognizer(img).detections)
    # at most one false digit a frame (the shipped model reads 3 on these three speckled frames,
    # the model before it 1; on the 22 digit-free photos it reads 0.27 a photo against 0.45)
    assert found <= 3, found


def test_a_wire_frame_of_lines_cut_by_crossing_lines_gives_no_digits(recognizer):
    """Thin lines cut into short straight pieces by bolder lines drawn across them (a wire-frame
    wallpaper): every piece's crop is a 1, and its line runs on past both its ends."""
    found = []
    for seed in (0, 2, 3, 5):
        img = np.clip(wire_frame(720, 1280, np.random.default_rng(seed)), 0, 255).astype(np.uint8)
        found.append(len(recognizer(img).detections))
    # 7, 142, 5 and 21 false 1s before engine.lines; 0 on each with it
    assert sum(found) <= 2, found


@pytest.mark.parametrize("gap", [0.25, 0.35])
def test_straight_1s_written_in_a_column_under_each_other_are_all_read(recognizer, gap):
    """A 1 with another straight below and above it, in line, is not a piece of a line: paper
    lies between them (a quarter of their length)."""
    img = np.full((900, 400), 226, np.uint8)
    top, count = 20, 0
    while top + 100 < 880:
        cv2.line(img, (200, top), (200, top + 100), 45, 5, cv2.LINE_AA)
        top, count = top + int(100 * (1 + gap)), count + 1
    assert recognizer(cv2.GaussianBlur(img, (3, 3), 0)).text.split() == ["1"] * count


@pytest.mark.parametrize("label", [0, 2, 3, 8])
def test_a_thick_digit_filling_the_frame_is_read(recognizer, mnist_sample, label):
    """A drawing app's canvas: one thick light digit on black, most of the frame's height (the
    background estimate under such a digit follows its ink)."""
    x, y = mnist_sample
    i = [k for k in good_digits(recognizer, x[:200], y[:200]) if y[k] == label][0]
    canvas = np.full((468, 520, 3), 18, np.float32)
    box = place(canvas, cv2.dilate(x[i], np.ones((2, 2), np.uint8)), 40, 34, 400, ink=(215, 215, 215))
    result = recognizer(canvas.astype(np.uint8))
    assert [d.label for d in result.detections] == [label]
    assert len(match(np.array([result.detections[0].box], float), np.array([box], float))) == 1



def test_black_ink_on_white_paper_in_a_busy_frame_is_read(recognizer, mnist_sample):
    """Black marker on white paper, held up in front of fabric: the busiest frames go through the
    prefilter, which had learned from rendered digits rarely that dark and dropped ink this black
    as no digit (its ink contrast now counts at most as dark as its training digits were)."""
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    rng = np.random.default_rng(41)
    right = []
    for k in range(3):
        page = np.full((500, 700, 3), 245, np.float32)
        boxes = []
        for i, idx in enumerate(good[300 + 12 * k:312 + 12 * k]):
            box = place(page, x[idx], 40 + (i % 6) * 105, 120 + (i // 6) * 160, 56, ink=(8, 8, 8))
            boxes.append((*box, int(y[idx])))
        frame = held_up_page(Scene(page, boxes), fabric(720, 1280, rng), rng)
        r, f, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        right.append(r)
        assert f <= 1, (k, f)
    assert np.mean(right) >= 0.8, right


# measured with the printed-digit reader (engine.printed): 1.000 and 1.000 (three puzzles each);
# 0.928 and 0.735 by the CNN alone
TYPESET_SUDOKU_RECALL = {"DejaVuSans.ttf": 0.95, "DejaVuSans-Bold.ttf": 0.95}


def _printed_sudoku(rng: np.random.Generator, cell: int = 60, margin: int = 30) -> Scene:
    """A sudoku puzzle: bold printed digits in a third of the cells, thin cell lines, thick box lines."""
    n = 9
    side = n * cell + 2 * margin
    page = np.full((side, side, 3), 242, np.float32)
    boxes = []
    for i in range(n):
        for j in range(n):
            if rng.random() < 0.35:
                d, thick, scale = int(rng.integers(1, 10)), int(rng.integers(3, 6)), rng.uniform(1.3, 1.6)
                (tw, th), _ = cv2.getTextSize(str(d), cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
                ink = np.zeros((side, side), np.uint8)
                org = (margin + j * cell + (cell - tw) // 2, margin + i * cell + (cell + th) // 2)
                cv2.putText(ink, str(d), org, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, thick, cv2.LINE_AA)
                a = ink[..., None] / 255.0
                page = page * (1 - a) + 20 * a
                ys, xs = np.nonzero(ink > 100)
                boxes.append((int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1, d))
    for v in range(n + 1):
        t = 4 if v % 3 == 0 else 1
        cv2.line(page, (margin + v * cell, margin), (margin + v * cell, margin + n * cell), (30, 30, 30), t)
        cv2.line(page, (margin, margin + v * cell), (margin + n * cell, margin + v * cell), (30, 30, 30), t)
    return Scene(page, boxes)


def test_a_printed_sudoku_held_up_is_read(recognizer):
    """Bold printed digits in a sudoku grid held up in front of wood or fabric: the prefilter had
    learned from fainter rendered digits and dropped many of these as no digit (recall 0.84)."""
    rng = np.random.default_rng(3)
    right = []
    for k in range(4):
        frame = held_up_page(_printed_sudoku(rng), (fabric if k % 2 else wood)(720, 1280, rng), rng, fill=(0.8, 0.95))
        r, f, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        right.append(r)
        assert f <= 1, (k, f)
    assert np.mean(right) >= 0.95, right


@pytest.mark.parametrize("face", sorted(TYPESET_SUDOKU_RECALL))
def test_a_sudoku_printed_in_a_common_typeface_is_read(recognizer, face):
    """Newspaper puzzles print their clues in a sans-serif face (here DejaVu Sans, which ships with
    matplotlib, and its bold), whose 1 has a flag and a foot. The CNN learned handwriting and calls
    such a 1, and a bold 9, "not a digit"; the printed-digit reader (engine.printed, trained on
    other faces: train.scenes.TYPEFACES) reads them."""
    rng = np.random.default_rng(11)
    right = []
    for k in range(3):
        frame = held_up_page(typeset_sudoku(rng, face), (fabric if k % 2 else wood)(960, 1280, rng), rng,
                             tilt_deg=8.0, fill=(0.75, 0.95))
        r, f, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        right.append(r)
        assert f <= 1, (k, f)
    assert np.mean(right) >= TYPESET_SUDOKU_RECALL[face], right


@pytest.mark.parametrize("spacing", [24, 32])
def test_rows_of_digits_on_squared_paper_are_not_taken_for_rules(recognizer, mnist_sample, spacing):
    """A row of digits crossed by a squared page's columns every few millimetres is ink along
    most of its length, as a rule is: it was taken for one and its digits cut up (recall 0.60
    and 0.84 here before). Its fill is now measured without the column rules crossing it."""
    x, y = mnist_sample
    ok = good_digits(recognizer, x, y)
    rng = np.random.default_rng(spacing + 10)
    page = np.full((720, 1280, 3), 235, np.float32)
    for k in range(0, 1280, spacing):
        cv2.line(page, (k, 0), (k, 719), (150, 140, 130), 1)
    for k in range(0, 720, spacing):
        cv2.line(page, (0, k), (1279, k), (150, 140, 130), 1)
    truth, labels = [], []
    for row in (200, 400):
        left = 120
        while left < 1100:
            i = int(rng.choice(ok))
            box = place(page, x[i], left, row + int(rng.integers(-3, 4)), 40)
            truth.append(box)
            labels.append(int(y[i]))
            left += box[2] + 10
    image = np.clip(page + rng.normal(0, 2, page.shape), 0, 255).astype(np.uint8)
    recall, false, _ = read_score(recognizer, image, truth, labels)
    assert recall >= 0.85 and false <= 1, (recall, false)


def _held_up_pages(recognizer, mnist_sample, paper: str, seed: int, frames: int = 4,
                   size: tuple[int, int] = (720, 1280), light: float = 1.0, lean: float = 0.0,
                   backs=(wood, fabric), blur: float = 0.0, jpeg: int = 0, motion: float = 0.0,
                   recline: float = 0.0, lower: float = 0.0, fill: tuple[float, float] = (0.55, 0.8)) -> tuple[list[float], int]:
    """Recall per frame and false digits in all, on pages of 24 digits on ``paper`` held up in front
    of ``backs`` in turn (wood and fabric), in frames of ``size``; ``light`` under 1: a dim room
    (the frame that much as bright, with a camera's noise); ``lean``: degrees the page is held
    turned, one way and the other in turn, besides its random tilt; ``blur``, ``jpeg``: out of
    focus and compressed, as a worse camera gives it; ``motion``: smeared by the page moving that
    many px while the shutter is open, each frame along its own direction
    (digitcam.evaluate.worse_camera); ``recline``: degrees the page's top leans away from the
    camera (a sheet lying on the desk); ``lower``, ``fill``: where and how large it shows
    (digitcam.synth.held_up_page)."""
    from digitcam.evaluate import motion_angle, worse_camera

    x, y = mnist_sample
    rng = np.random.default_rng(seed)
    recall, false = [], 0
    for k in range(frames):
        idx = rng.integers(0, len(x), 24)
        page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=24, height=(34, 52), noise=2.0, paper=paper)
        frame = held_up_page(page, backs[k % len(backs)](*size, rng), rng, lean=lean * (-1) ** k, recline=recline,
                             lower=lower, fill=fill)
        if light < 1.0:
            frame.image = np.clip(frame.image * light + rng.normal(0, 4, frame.image.shape), 0, 255).astype(np.uint8)
        if blur or jpeg or motion:
            frame.image = worse_camera(frame.image, blur, jpeg, motion, motion_angle(k + seed))
        r, f, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        recall.append(r)
        false += f
    return recall, false


def test_a_shaded_page_held_up_in_front_of_a_bright_wall_is_read_to_its_darkest_corner(recognizer, mnist_sample):
    """Pages shaded from one corner, held up in front of a brighter wall: along the page's edge the
    paper's level was the wall's, a band of the page darker than it became one piece of ink, and
    the digits on it were lost (engine.shade). Recall on these four frames before: 0.76 (0.83,
    0.33, 0.96, 0.92); with the band measured again, 0.97 (0.92, 0.96, 1.0, 1.0)."""
    recall, false = _held_up_pages(recognizer, mnist_sample, "plain", seed=64, backs=(wall,))
    assert np.mean(recall) >= 0.9 and min(recall) >= 0.85 and false <= 2, (recall, false)


def test_a_sheet_lying_on_the_desk_is_read_though_its_digits_are_foreshortened(recognizer, mnist_sample):
    """Pages whose top leans 60 degrees away from the camera, as a sheet lying on the desk before
    a webcam: every digit half as tall as written, a 0 as wide as tall, and normalised with that
    aspect kept, "not a digit" to both heads. A flat region is also read stretched taller, its
    context alike (engine.crops.FLAT); and the sheet, found by its four corners, is read face-on
    (engine.page). Recall on these four frames before: 0.57 (0.75, 0.46, 0.38, 0.71); with the
    flat twins, 0.74 (0.88, 0.71, 0.46, 0.92); read face-on, 0.98 (0.96, 1.0, 1.0, 0.96), no
    false digit. (Their digits are 9-17 px tall, 12-14 at the median; the third frame's are the
    smallest.)"""
    recall, false = _held_up_pages(recognizer, mnist_sample, "plain", seed=71, recline=60)
    assert np.mean(recall) >= 0.9 and false <= 1, (recall, false)


@pytest.mark.parametrize("paper", ["ruled", "squared"])
def test_a_ruled_or_squared_sheet_lying_on_the_desk_is_read_face_on(recognizer, mnist_sample, paper):
    """Foreshortened, a page's rules break into faint dashes that the rule search leaves, touching
    the digits; face-on (engine.page) they are whole lines again. Recall on these four frames
    read as they are: ruled 0.45 (0.42, 0.67, 0.71, 0.0), squared 0.19 (0.29, 0.0, 0.38, 0.08);
    face-on, ruled 0.71 (0.62, 0.88, 0.83, 0.5), squared 0.59 (0.75, 0.92, 0.5, 0.21)."""
    recall, false = _held_up_pages(recognizer, mnist_sample, paper, seed=72 if paper == "ruled" else 73, recline=60)
    assert np.mean(recall) >= (0.6 if paper == "ruled" else 0.5) and false <= 2, (recall, false)


def test_a_sheet_on_the_desk_running_off_the_frame_is_read_face_on(classifier, mnist_sample):
    """A sheet lying at 60 degrees whose near edge is under the frame's bottom (and often a side
    out of it too): no four corners to go by, but three sides or four and a corner out of view
    (engine.page._cut). Recall on these four frames read as they show: 0.70 (0.79, 0.5, 0.67,
    0.88); face-on, 0.96 (0.96 each)."""
    from digitcam.engine import Recognizer

    on, off = Recognizer(classifier), Recognizer(classifier, page=False)
    recall, false = _held_up_pages(on, mnist_sample, "plain", seed=77, recline=60, lower=0.3, fill=(0.9, 1.05))
    assert np.mean(recall) >= 0.9 and false <= 2, (recall, false)
    recall, _ = _held_up_pages(off, mnist_sample, "plain", seed=77, recline=60, lower=0.3, fill=(0.9, 1.05))
    assert np.mean(recall) < 0.85, recall


def _boxed_sheets_on_the_desk(mnist_sample, seed: int, frames: int = 8) -> list:
    """Sheets of one large marker digit in a red box drawn around it, lying on the desk at 55-75
    degrees before a 640x480 webcam (as the dev set's webcam frames show them)."""
    x, y = mnist_sample
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(frames):
        i = int(rng.integers(0, len(x)))
        page = np.full((600, 800, 3), rng.uniform(215, 245), np.float32)
        ys, xs = np.nonzero(x[i] > 40)
        height = int(rng.integers(220, 300))
        width = int((xs.max() - xs.min() + 1) * height / (ys.max() - ys.min() + 1))
        bx, by = (800 - width) // 2, (600 - height) // 2
        box = place(page, cv2.dilate(x[i], np.ones((2, 2), np.uint8)), bx, by, height)
        cv2.rectangle(page, (bx - 50, by - 40), (box[0] + box[2] + 50, by + box[3] + 40), (40, 40, 200), 6)
        scene = Scene(page.astype(np.uint8), [(*box, int(y[i]))], [])
        out.append(held_up_page(scene, wood(480, 640, rng), rng, recline=float(rng.uniform(55, 75)), fill=(0.7, 0.9)))
    return out


def test_the_sides_of_a_box_drawn_around_a_digit_are_no_1s(recognizer, mnist_sample):
    """A box drawn around a digit on a sheet lying on the desk: its top and bottom, level rules to
    the rule search, go, and its sides stand alone as 1s. A side's line runs on round a corner at
    both ends, to the same side (engine.lines). False digits on these 16 frames before: 6; now 0."""
    recall, false = [], 0
    for frame in _boxed_sheets_on_the_desk(mnist_sample, 5) + _boxed_sheets_on_the_desk(mnist_sample, 6):
        r, f, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        recall.append(r)
        false += f
    assert false <= 1 and np.mean(recall) >= 0.8, (false, recall)


def test_1s_in_a_box_between_rules_and_at_the_end_of_an_underline_are_read(recognizer, mnist_sample):
    """What a box's side is not: a 1 in a box (no line at its ends), a 1 touching the ruled lines
    above and below it (they run on both ways from its ends), a 1 on whose foot an underline ends
    (a corner at one end only)."""
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    ones = [i for i in good if y[i] == 1]
    others = [i for i in good if y[i] in (2, 3, 5, 7)]
    page = np.full((520, 900, 3), 232, np.float32)
    truth, labels = [], []
    for k, i in enumerate([ones[0], others[2]]):   # in boxes drawn around them
        truth.append(place(page, x[i], 60 + 160 * k, 60, 80))
        bx, by, bw, bh = truth[-1]
        cv2.rectangle(page, (bx - 40, by - 25), (bx + bw + 40, by + bh + 25), (40, 40, 190), 4)
    for line_y in (79, 160):                       # between two ruled lines, the 1 touching both
        cv2.line(page, (380, line_y), (880, line_y), (150, 120, 110), 2)
    for k, i in enumerate([others[0], ones[1], others[1]]):
        one = y[i] == 1
        truth.append(place(page, x[i], 420 + 80 * k, 80 if one else 82, 80 if one else 70))
    for k, i in enumerate([others[3], others[4], ones[3]]):   # underlined, the line ending at the 1's foot
        one = y[i] == 1
        truth.append(place(page, x[i], 80 + 80 * k, 300 if one else 302, 80 if one else 70))
    cv2.line(page, (40, 380), (246, 380), (40, 40, 40), 3)
    labels = [int(y[i]) for i in (ones[0], others[2], others[0], ones[1], others[1], others[3], others[4], ones[3])]
    recall, false, result = read_score(recognizer, page.astype(np.uint8), truth, labels)
    assert recall == 1.0 and false == 0, (recall, false, result.text)


def test_without_the_page_stage_a_sheet_on_the_desk_reads_worse_and_a_frame_without_one_the_same(classifier, mnist_sample):
    """The gain above is the face-on reading's: with the page stage off the same frames read
    worse, and a frame with no sheet in it reads the same either way."""
    from digitcam.engine import Recognizer

    flat = Recognizer(classifier, page=False)
    recall, _ = _held_up_pages(flat, mnist_sample, "plain", seed=71, recline=60)
    assert np.mean(recall) < 0.9, recall   # (the test above: 0.98 face-on)
    rng = np.random.default_rng(5)
    scene = wood(720, 1280, rng).astype(np.uint8)
    on, off = Recognizer(classifier)(scene), flat(scene)
    assert [d.box for d in on.detections] == [d.box for d in off.detections]


@pytest.mark.parametrize("paper", ["ruled", "squared"])
def test_digits_on_ruled_and_squared_pages_held_up_keep_their_strokes_along_the_rules(recognizer, mnist_sample, paper):
    """Ruled and squared pages held up in front of wood or fabric: a digit's stroke that runs along
    a rule (a 7's top, a 0's side) is thicker than the page's rules, and stays when they go.
    Recall here before (every stroke along a rule went with it): ruled 0.896, squared 0.708
    (one frame 0.21); then 0.927 and 0.865; with a pen darker than the rules kept and a rule
    removed along its whole line (nineteenth session) 0.969 and 0.906. With the page shrunk as a
    lens does (synth.held_up_page, twenty-first session) the fourth squared frame lost its second
    row: its digits broke the rule under them into pieces too short to be a rule, and it glued
    them into one region (0.375); a rule runs on under a digit (engine.ink.UNDER_DIGIT): 0.958.
    Now ruled 0.958 (1.0, 0.92, 0.92, 1.0), squared 0.948 (0.96, 0.96, 0.92, 0.96)."""
    recall, false = _held_up_pages(recognizer, mnist_sample, paper, seed=31 if paper == "ruled" else 32)
    assert np.mean(recall) >= 0.9 and min(recall) >= 0.85 and false <= 2, (recall, false)


def test_a_page_held_up_in_a_dim_room_is_read_to_its_edges(recognizer, mnist_sample):
    """A webcam's frame of a page held up in a dim room (under half the light, the camera's
    noise): most of the frame is dark, and light strokes are taken out of it before the paper's
    level is measured. Taken out as wide as a sixth of the frame, they took the page's corners
    and the band along its edge with them, and the digits there had no paper under them. Recall
    on these four frames measured at a sixth: 0.84 (0.79, 0.92, 0.83, 0.83); at a ninth
    (engine.ink.DIM_PART): 0.97 (0.96, 0.96, 1.0, 0.96). With the page shrunk as a lens does
    (twenty-first session; its thin strokes paler): at a sixth 0.77 (0.75, 0.83, 0.75, 0.75), at a
    ninth 0.93 (0.83, 0.96, 1.0, 0.92; the first frame's faintest digits are lost)."""
    recall, false = _held_up_pages(recognizer, mnist_sample, "plain", seed=44, size=(480, 640), light=0.45)
    assert np.mean(recall) >= 0.9 and min(recall) >= 0.8 and false <= 1, (recall, false)


def test_a_squared_page_held_up_keeps_the_pen_strokes_that_run_along_its_grid(recognizer, mnist_sample):
    """Squared paper's printed grid is pale; a pen's stroke along one of its lines, no thicker
    than the line, is darker (engine.ink.RULE_DARKER) and stays when the grid goes. Recall on
    these four frames before: 0.79 (0.71, 0.58, 0.96, 0.92); now 0.91 (0.71, 0.92, 1.0, 1.0). With
    the page shrunk as a lens does (twenty-first session): 0.865 (0.58, 0.88, 1.0, 1.0): the first
    frame's rules cross the floorboards' level gaps behind the page, are taken for one line with
    them, and stay. The ink left once the family's rules are cut out is searched again for lines
    of the family (engine.ink.LOOK_AGAIN): 0.958 (0.96, 0.88, 1.0, 1.0)."""
    recall, false = _held_up_pages(recognizer, mnist_sample, "squared", seed=33)
    assert np.mean(recall) >= 0.9 and min(recall) >= 0.85 and false <= 1, (recall, false)


@pytest.mark.parametrize("paper, seed", [("ruled", 50), ("squared", 51)])
def test_a_ruled_page_leaning_past_the_rule_search_is_read_levelled_by_its_rules(recognizer, mnist_sample, paper, seed):
    """A ruled or squared page held up turned 12-28 degrees: its rules lean past what the rule
    search cuts (engine.ink.RULE_SLANT), glue each row of digits into one region, and no digit
    is read to measure the lean by (engine.tilt). The page's rules give it instead
    (engine.tilt.lean_of_rules), and the page is read levelled. Recall on these four frames
    before: ruled 0.50 (0.0, 0.96, 0.04, 1.0), squared 0.52 (1.0, 1.0, 0.0, 0.08); now 0.98
    (1.0, 0.96, 0.96, 1.0) and 0.95 (1.0, 1.0, 1.0, 0.79)."""
    recall, false = _held_up_pages(recognizer, mnist_sample, paper, seed=seed, lean=20)
    assert np.mean(recall) >= 0.9 and min(recall) >= 0.75 and false <= 1, (recall, false)


def test_a_leaning_ruled_page_without_digits_gives_none(recognizer):
    """The rules' lean is only taken where the levelled reading's digits stand on level lines: a
    page of rules alone, or a digit-free photo's leaning lines, read levelled, gives nothing."""
    rng = np.random.default_rng(53)
    empty = np.zeros((0, 28, 28), np.uint8)
    for k, paper in enumerate(("ruled", "squared")):
        page = render_scene(empty, np.zeros(0, np.int32), rng, size=(600, 800), count=0, paper=paper)
        frame = held_up_page(page, (wood, fabric)[k](720, 1280, rng), rng, lean=20)
        assert recognizer(frame.image).detections == [], paper


def _marked_page(mnist_sample, recognizer, rng, mark: str):
    """Four numbers of 3-5 MNIST digits on a page, each circled or with a comma among its digits."""
    x, y = mnist_sample
    good = good_digits(recognizer, x, y)
    page = np.full((700, 1000, 3), 235, np.float32) + rng.normal(0, 2, (700, 1000, 3)).astype(np.float32)
    truth, labels = [], []
    for row in range(4):
        top, left, height = 60 + row * 150, 60, int(rng.integers(45, 70))
        n = int(rng.integers(3, 6))
        for j in range(n):
            i = int(rng.choice(good))
            box = place(page, x[i], left, top, height, ink=(150, 40, 30))
            truth.append(box)
            labels.append(int(y[i]))
            left += box[2] + int(height * 0.2)
            if mark == "comma" and j == n - 4 + (n < 4):   # 1,000: a comma before the last three
                cv2.line(page, (left + 2, top + height - 6), (left - 4, top + height + 10), (150, 40, 30), 4)
                left += height // 4
        if mark == "circle":
            cv2.ellipse(page, ((60 + left) // 2, top + height // 2), ((left - 60) // 2 + 25, height // 2 + 22), 0, 0, 360,
                        (150, 40, 30), 4)
    return np.clip(page, 0, 255).astype(np.uint8), truth, labels


@pytest.mark.parametrize("mark", ["comma", "circle"])
def test_a_circled_number_and_a_comma_between_digits_are_not_read_as_digits(recognizer, mnist_sample, mark):
    """A loop drawn around a number reads as a 0, a comma between its digits as a 1, however
    surely (engine.marks): no digit holds other digits inside it, and a comma is a third of the
    digits' height, hanging from their baseline. On these four pages each before: 16 false
    digits on the commas' (recall 0.95) and 6 on the loops' (each loop a 0; recall 0.74, the
    digits touching the loop go with it); now none, the same digits read."""
    rng = np.random.default_rng(90)
    false_digits, recall = 0, []
    for _ in range(4):
        image, truth, labels = _marked_page(mnist_sample, recognizer, rng, mark)
        r, f, _ = read_score(recognizer, image, truth, labels)
        false_digits += f
        recall.append(r)
    assert false_digits == 0, false_digits
    assert np.mean(recall) >= (0.9 if mark == "comma" else 0.6), recall   # a digit touching the loop goes with it


@pytest.mark.parametrize("lean", [60, 160])
def test_a_leaning_ruled_page_on_its_side_or_head_is_read_upright(classifier, mnist_sample, lean):
    """A ruled page held on its side or upside down and leaning besides (60 and 160 degrees):
    levelled by its rules (or its digits' lean, folded into +-45 degrees) it stands a quarter or
    half turn from upright, which neither can tell; as a photo read as it is, the levelled page
    is turned the way its digits read surest (scan's --rotation auto). Recall on these four
    frames before: 0.50 (0.04, 0.0, 0.96, 1.0) and 0.54 (0.0, 0.17, 1.0, 1.0); now 0.94 and 1.0."""
    from digitcam.engine import Recognizer

    reader = Recognizer(classifier, search_small=True, rotation="auto")
    x, y = mnist_sample
    rng = np.random.default_rng(7)
    recall = []
    for k in range(4):
        idx = rng.integers(0, len(x), 24)
        page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=24, height=(34, 52), noise=2.0, paper="ruled")
        frame = held_up_page(page, (wood, fabric)[k % 2](720, 1280, rng), rng, lean=lean, tilt_deg=3)
        r, f, _ = read_score(reader, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        recall.append(r)
        assert f <= 1
    assert np.mean(recall) >= 0.9 and min(recall) >= 0.75, recall


def test_a_webcam_frame_out_of_focus_is_read_sharpened(recognizer, mnist_sample):
    """A 640x480 webcam frame out of focus by a pixel and compressed (JPEG quality 60): the small
    digits' strokes spread into smudges that the model calls "not a digit". Their edges are as
    wide as a blurred camera's are (engine.focus), so the frame is read sharpened. Recall on these
    four frames: 0.833 as they are, 0.927 sharpened (twenty-fourth session)."""
    from digitcam.engine import focus

    kwargs = dict(paper="plain", seed=62, size=(480, 640), blur=1.0, jpeg=60)
    recall, false = _held_up_pages(recognizer, mnist_sample, **kwargs)
    try:
        recognizer.focus = False
        unsharp, _ = _held_up_pages(recognizer, mnist_sample, **kwargs)
    finally:
        recognizer.focus = True
    assert np.mean(recall) >= 0.9 and false <= 1, (recall, false)
    assert np.mean(recall) >= np.mean(unsharp) + 0.05, (recall, unsharp)
    assert focus.edge_width(np.full((100, 100), 200, np.uint8)) == 0.0, "a blank frame has no edge to measure"


def test_a_page_moving_in_front_of_a_webcam_is_read_deconvolved_along_its_smear(recognizer, mnist_sample, monkeypatch):
    """A 640x480 webcam frame of a page raised while the shutter was open (moved 5 px, JPEG 60):
    the digits' strokes run into each other along the motion, and the model calls many of them
    "not a digit". The edges across the motion are wider than those along it (engine.motion), so
    the frame is deconvolved along the smear before it is read. Recall on these four frames: 0.719
    as they are, 0.844 deconvolved (moved 7 px: 0.458 and 0.615; twenty-fifth session)."""
    from digitcam.engine import motion

    kwargs = dict(paper="plain", seed=72, size=(480, 640), jpeg=60, motion=5.0)
    recall, false = _held_up_pages(recognizer, mnist_sample, **kwargs)
    monkeypatch.setattr(motion, "MIN_SWING", float("inf"))   # no frame is taken for smeared
    smeared, _ = _held_up_pages(recognizer, mnist_sample, **kwargs)
    assert np.mean(recall) >= 0.8 and np.mean(recall) >= np.mean(smeared) + 0.08 and false <= 1, (recall, smeared, false)


def _narrow_page(mnist_sample, good, labels, squeeze: float, rng) -> tuple[np.ndarray, list, list]:
    """A page of the sample's digits of ``labels``, written ``squeeze`` times as wide as they are."""
    x, y = mnist_sample
    page = np.full((420, 900, 3), 232, np.float32)
    truth, read = [], []
    picks = [i for i in good if int(y[i]) in labels]
    for k, i in enumerate(picks[:24]):
        ys, xs = np.nonzero(x[i] > 40)
        d = x[i][ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        d = cv2.resize(d, (max(2, int(round(d.shape[1] * squeeze))), d.shape[0]), interpolation=cv2.INTER_AREA)
        truth.append(place(page, d, 40 + 70 * (k % 12), 60 + 200 * (k // 12) + int(rng.integers(0, 20)), 90))
        read.append(int(y[i]))
    return page.astype(np.uint8), truth, read


def test_digits_written_narrow_are_read_as_wide_as_digits_are_written(recognizer, mnist_sample, monkeypatch):
    """A writer whose 4s, 7s and 9s are a third as wide as tall: normalised the MNIST way (aspect
    kept), such a 7 is a bar with a flag and reads as a 1 or "not a digit". A region narrower than
    a third of its height is also read twice as wide (engine.crops.NARROW), and the surer reading
    wins its strokes; a 1, narrow by nature, is still read as it is (a stretched twin read as a 1
    counts for nothing: engine.select). The dev photos of such a writer gained 8 digits
    (twenty-fifth session). Here 24 such digits: 0.542 read as they are, 0.833 stretched too."""
    from digitcam.engine import crops

    rng = np.random.default_rng(5)
    good = good_digits(recognizer, *mnist_sample)
    page, truth, labels = _narrow_page(mnist_sample, good, (4, 7, 9), 0.35, rng)
    recall, false, _ = read_score(recognizer, page, truth, labels)
    ones, one_truth, one_labels = _narrow_page(mnist_sample, good, (1,), 1.0, rng)
    ones_recall, ones_false, _ = read_score(recognizer, ones, one_truth, one_labels)
    monkeypatch.setattr(crops, "NARROW", 0.0)   # no region is read stretched
    before, _, _ = read_score(recognizer, page, truth, labels)
    ones_before, _, _ = read_score(recognizer, ones, one_truth, one_labels)
    assert recall >= 0.75 and recall >= before + 0.2 and false <= 1, (recall, before, false)
    assert ones_recall >= ones_before and ones_recall >= 0.9 and ones_false == 0, (ones_recall, ones_before, ones_false)
    assert ones_recall >= 0.95 and ones_false == 0, (ones_recall, ones_false)


def _big_digit_lying_on_a_desk(digit: np.ndarray, label: int, rng: np.random.Generator) -> Scene:
    """A sheet of one digit written large in marker inside a red box, lying on the desk before a
    640x480 webcam, its top leaning 55-75 degrees away (the dev set's webcam frames show such
    sheets)."""
    img = np.full((600, 800, 3), rng.uniform(215, 245), np.float32)
    ys, xs = np.nonzero(digit > 40)
    d = digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    height = int(rng.integers(220, 300))
    big = cv2.resize(d, (max(1, int(d.shape[1] * height / d.shape[0])), height), interpolation=cv2.INTER_CUBIC)
    a = np.clip((cv2.dilate(big.astype(np.float32) / 255, np.ones((9, 9), np.uint8)) - 0.3) / 0.4, 0, 1)[..., None]
    bh, bw = a.shape[:2]
    bx, by = (800 - bw) // 2, (600 - bh) // 2
    img[by:by + bh, bx:bx + bw] = img[by:by + bh, bx:bx + bw] * (1 - a) + np.float32([30, 30, 30]) * a
    cv2.rectangle(img, (bx - 50, by - 40), (bx + bw + 50, by + bh + 40), (40, 40, 200), 6)
    page = Scene(img.astype(np.uint8), [(bx, by, bw, bh, int(label))])
    return held_up_page(page, wood(480, 640, rng), rng, recline=float(rng.uniform(55, 75)), fill=(0.7, 0.9))


def test_a_big_digit_on_a_sheet_lying_on_the_desk_is_read(recognizer, mnist_sample):
    """One large marker digit a sheet, lying on the desk before a webcam: foreshortened to a third
    or a half of its height, it is a flat shape that both heads call "not a digit" as it is, and
    read stretched taller (engine.crops.FLAT) it is the digit. Of these 16 sheets, 7 were read
    before the flat twins, 13 with them, 15 with the sheet also read face-on (engine.page)."""
    x, y = mnist_sample
    rng = np.random.default_rng(9)
    good = good_digits(recognizer, x, y)
    right = 0
    for _ in range(16):
        i = int(rng.choice(good))
        frame = _big_digit_lying_on_a_desk(x[i], int(y[i]), rng)
        r, _, _ = read_score(recognizer, frame.image, [b[:4] for b in frame.boxes], [b[4] for b in frame.boxes])
        right += r
    assert right >= 14, right

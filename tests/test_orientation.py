"""Pages that arrive turned by 90, 180 or 270 degrees are read in their own orientation."""

import numpy as np
import pytest

from digitcam.engine import Recognizer
from digitcam.engine.candidates import Hypothesis
from digitcam.engine.crops import Batch
from digitcam.engine.orientation import ROTATIONS, box_back, box_turned, decide, rotate, turn_map
from digitcam.evaluate import match
from digitcam.synth import render_scene


def test_boxes_turn_and_come_back():
    w, h = 200, 100
    box = (10, 20, 30, 40)
    for deg in (0, 90, 180, 270):
        turned = box_turned(box, deg, w, h)
        tw, th = (h, w) if deg in (90, 270) else (w, h)
        assert box_back(turned, deg, w, h) == box
        img = np.zeros((h, w), np.uint8)
        img[20:60, 10:40] = 255
        ys, xs = np.nonzero(rotate(img, deg))
        assert turned == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
        assert rotate(img, deg).shape == (th, tw)
        x0, y0 = turn_map(deg, w, h) @ np.array([10.0, 20.0, 1.0])     # a pixel goes where rotate puts it
        x1, y1 = turn_map(deg, w, h) @ np.array([39.0, 59.0, 1.0])
        assert (min(x0, x1), min(y0, y1)) == (xs.min(), ys.min()) and (max(x0, x1), max(y0, y1)) == (xs.max(), ys.max())


@pytest.fixture(scope="module")
def page(classifier, mnist_sample):
    x, y = mnist_sample
    good = np.flatnonzero(classifier.predict(x[:300] / 255.0)[:, :10].argmax(1) == y[:300])
    # digits whose turned shapes are not digits themselves: no 0, 1, 6, 8, 9
    pick = [i for i in good if y[i] in (2, 3, 4, 5, 7)][:10]
    return render_scene(x[pick], y[pick], np.random.default_rng(12), size=(420, 600), count=10, height=(46, 54), group=(2, 3))


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_page_is_read_upright(classifier, page, turn):
    reader = Recognizer(classifier, rotation="auto", search_small=True)
    upright = reader(page.image)
    assert upright.rotation == 0
    turned_image = rotate(page.image, (360 - turn) % 360)       # the photo came in turned counter-clockwise
    result = reader(turned_image)
    assert result.rotation == turn
    assert [n.text for n in result.numbers] == [n.text for n in upright.numbers]
    h, w = page.image.shape[:2]
    truth = np.array([box_turned(b[:4], (360 - turn) % 360, w, h) for b in page.boxes], float)
    det = np.array([d.box for d in result.detections], float)
    assert len(match(det, truth)) >= 0.9 * len(truth), "boxes are in the turned photo's own pixels"


def test_a_page_of_symmetric_digits_is_not_turned(classifier, mnist_sample):
    x, y = mnist_sample
    good = np.flatnonzero(classifier.predict(x[:300] / 255.0)[:, :10].argmax(1) == y[:300])
    ones = [i for i in good if y[i] == 1][:2]
    zeros = [i for i in good if y[i] == 0][:2]
    pick = [ones[0], zeros[0], zeros[1], ones[1]]
    scene = render_scene(x[pick], y[pick], np.random.default_rng(3), size=(240, 480), count=4, height=(50, 56), group=(4, 4))
    reader = Recognizer(classifier, rotation="auto")
    for turn in (0, 180):  # upside down it is the same page: nothing to turn
        result = reader(rotate(scene.image, turn))
        assert result.rotation == 0
        assert len(result.detections) >= 3 and {d.label for d in result.detections} <= {0, 1}


def test_coins_that_read_as_0_in_any_orientation_give_no_digits_however_turned(classifier):
    """Coins read as 0s whichever way up: they tell nothing of orientation (scikit-image's photo
    of coins, never trained on, was turned on its side and read as rows of 0s). Whichever way the
    photo is taken, no digit is read on it."""
    pytest.importorskip("skimage")
    from digitcam.train.scenes import held_out_photos

    coins = dict(held_out_photos())["coins"]
    for size in (1, 2):   # as it is, and as a close-up
        img = np.repeat(np.repeat(coins, size, axis=0), size, axis=1)
        result = Recognizer(classifier, rotation="auto", search_small=True)(img)
        assert result.detections == [], (size, result.rotation, [d.label for d in result.detections])


class _Readings:
    """A stand-in classifier: what each hypothesis reads in each orientation, as (label, confidence);
    label 10 is "not a digit". It answers orientation.scores' one call: every hypothesis turned by
    0, 90, 180 and 270 degrees, in that order."""

    def __init__(self, table: dict[int, list[tuple[int, float]]]) -> None:
        self.table = table

    def predict(self, digits, contexts=None):
        rows = []
        for turn in ROTATIONS:
            for label, conf in self.table[turn]:
                p = np.full(11, (1.0 - conf) / 10, np.float32)
                p[label] = conf
                rows.append(p)
        assert len(rows) == len(digits)
        return np.array(rows)


def _batch(n: int) -> Batch:
    hyps = [Hypothesis((10 * i, 0, 8, 10), 0, np.array([i + 1])) for i in range(n)]
    return Batch(hyps, np.zeros((n, 28, 28), np.float32), np.zeros((n, 32, 32), np.float32))


def test_letters_read_as_digits_upside_down_do_not_outweigh_the_sure_digits_upright():
    """A whiteboard of handwritten words and a few digits: upright its digits read at 0.999 and
    its letters as no digit; upside down the letters read as digits at 0.85, a larger sum of
    confidences (4.25 against 3.0) that turned the whiteboard upside down. Sure digits weigh more
    than unsure ones: it is read as it is."""
    none = (10, 0.9)
    upright = [(2, 0.999), (3, 0.999), (4, 0.999)] + [none] * 5
    upside_down = [none] * 3 + [(5, 0.85), (7, 0.85), (2, 0.85), (4, 0.85), (6, 0.85)]
    reader = _Readings({0: upright, 90: [none] * 8, 180: upside_down, 270: [none] * 8})
    turn, s = decide(reader, _batch(8))
    assert turn == 0 and s[0] > s[180]
    # the same whiteboard photographed upside down is turned back
    reader = _Readings({0: upside_down, 90: [none] * 8, 180: upright, 270: [none] * 8})
    assert decide(reader, _batch(8))[0] == 180


def test_one_unsure_shape_does_not_turn_a_photo_but_one_sure_digit_does():
    """A digit-free photo whose one blob reads as a 4 at 0.92 when turned on its side stays as it
    is (a turn made it a false digit); a photo of one digit read at 0.999 on its side is turned."""
    none = (10, 0.9)
    blob = _Readings({0: [none], 90: [(4, 0.92)], 180: [none], 270: [none]})
    assert decide(blob, _batch(1))[0] == 0
    digit = _Readings({0: [none], 90: [(7, 0.999)], 180: [none], 270: [none]})
    assert decide(digit, _batch(1))[0] == 90

"""Pages that arrive turned by 90, 180 or 270 degrees are read in their own orientation."""

import numpy as np
import pytest

from digitcam.engine import Recognizer
from digitcam.engine.orientation import box_back, box_turned, rotate
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

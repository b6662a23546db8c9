"""The drawing logic of ``digitcam draw`` and its prediction, without a window."""

import cv2
import numpy as np

from digitcam.canvas import MAX_THICKNESS, MIN_THICKNESS, Canvas, trace_digit
from digitcam.draw_app import compose, read_canvas


def test_strokes_undo_clear_and_thickness():
    c = Canvas(size=200, thickness=10)
    assert c.empty and not c.render().any()
    c.begin(20, 20)
    c.extend(20, 150)
    c.end()
    one = c.render().copy()
    assert one[80, 20] == 255 and one[80, 40] == 0
    c.thicker(20)
    c.begin(100, 20)
    c.extend(100, 150)
    c.end()
    two = c.render().copy()
    assert two[80, 110] == 255, "the second stroke is thicker"
    c.undo()
    assert np.array_equal(c.render(), one)
    c.clear()
    assert c.empty and not c.render().any()
    for _ in range(50):
        c.thicker(5)
    assert c.thickness == MAX_THICKNESS
    for _ in range(50):
        c.thicker(-5)
    assert c.thickness == MIN_THICKNESS


def test_canvas_digits_are_read(recognizer, mnist_sample):
    x, y = mnist_sample
    good = np.flatnonzero(recognizer.classifier.predict(x[:200] / 255.0)[:, :10].argmax(1) == y[:200])
    right = 0
    for i in good[:20]:
        c = Canvas(size=400)
        trace_digit(c, x[i], (60, 40, 280, 320))
        reading = read_canvas(recognizer, c)
        right += reading.result.text == str(y[i])
        if reading.focus is not None:
            assert reading.focus.crop.shape == (28, 28)
            assert abs(float(reading.focus.probs.sum()) - 1.0) < 1e-3
    assert right >= 18, right


def test_digits_side_by_side_are_read_as_a_number(recognizer, mnist_sample):
    x, y = mnist_sample
    good = np.flatnonzero(recognizer.classifier.predict(x[:200] / 255.0)[:, :10].argmax(1) == y[:200])
    a, b = good[5], good[6]
    c = Canvas(size=400)
    trace_digit(c, x[a], (20, 100, 170, 190))
    trace_digit(c, x[b], (210, 100, 170, 190))
    reading = read_canvas(recognizer, c)
    assert reading.result.text == f"{y[a]}{y[b]}"
    assert len(reading.result.detections) == 2
    view = compose(c, reading)
    assert view.shape == (400, 700, 3)


def test_empty_canvas_reads_nothing(recognizer):
    reading = read_canvas(recognizer, Canvas())
    assert reading.focus is None and reading.result.detections == []
    assert compose(Canvas(), reading).shape == (400, 700, 3)


def test_the_model_input_is_shown_at_the_default_size(recognizer, mnist_sample):
    from digitcam.draw_app import INPUT_VIEW, PANEL_W

    x, y = mnist_sample
    c = Canvas(size=400)
    trace_digit(c, x[3], (60, 40, 280, 320))
    reading = read_canvas(recognizer, c)
    assert reading.focus is not None
    view = compose(c, reading)
    x0 = 400 + PANEL_W - INPUT_VIEW - 12
    shown = view[12:12 + INPUT_VIEW, x0:x0 + INPUT_VIEW, 0]
    expected = cv2.resize((np.clip(reading.focus.crop, 0, 1) * 255).astype(np.uint8), (INPUT_VIEW, INPUT_VIEW),
                          interpolation=cv2.INTER_NEAREST)
    assert np.array_equal(shown, expected)

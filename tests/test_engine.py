"""The recognition engine on scenes built here: MNIST digits rendered onto synthetic paper."""

import time
import zlib

import cv2
import numpy as np
import pytest

from digitcam.evaluate import match
from digitcam.synth import render_scene

CONDITIONS = {
    "plain": {},
    "perspective_blur_jpeg": {"perspective": 0.06, "blur": 1.0, "jpeg": 60},
    "ruled": {"paper": "ruled"},
    "squared": {"paper": "squared", "noise": 4.0},
    "dark_background": {"dark_background": True},
    "small_digits": {"height": (16, 24), "count": 8},
}


def score(recognizer, scenes):
    truths = found = right = dets = 0
    for scene in scenes:
        result = recognizer(scene.image)
        truth = np.array([b[:4] for b in scene.boxes], float).reshape(-1, 4)
        labels = [b[4] for b in scene.boxes]
        det = np.array([d.box for d in result.detections], float).reshape(-1, 4)
        pairs = match(det, truth)
        truths += len(truth)
        dets += len(det)
        found += len(pairs)
        right += sum(result.detections[d].label == labels[g] for d, g in pairs)
    return found / truths, right / max(dets, 1), right / truths


@pytest.mark.parametrize("name", list(CONDITIONS))
def test_recall_and_precision_on_synthetic_pages(recognizer, mnist_sample, name):
    x, y = mnist_sample
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    kw = {"count": 6, "height": (28, 60), **CONDITIONS[name]}
    scenes = []
    for _i in range(6):
        idx = rng.choice(len(x), kw["count"], replace=False)
        scenes.append(render_scene(x[idx], y[idx], rng, **kw))
    detection_recall, precision, recall = score(recognizer, scenes)
    assert detection_recall >= 0.85, (name, detection_recall)
    assert precision >= 0.85, (name, precision)
    assert recall >= 0.8, (name, recall)


def test_paper_held_up_in_a_dark_room(recognizer, mnist_sample):
    """The webcam case: a white page fills part of a dark frame; the digits on it are read."""
    x, y = mnist_sample
    good = np.flatnonzero(recognizer.classifier.predict(x[:200] / 255.0)[:, :10].argmax(1) == y[:200])
    rng = np.random.default_rng(9)
    found = total = 0
    for k in range(4):
        idx = good[6 * k:6 * k + 6]
        note = render_scene(x[idx], y[idx], rng, size=(260, 380), count=6, height=(34, 44), group=(2, 3))
        frame = np.full((480, 640, 3), 35, np.uint8)
        ox, oy = 120 + 20 * k, 90 + 10 * k
        frame[oy:oy + 260, ox:ox + 380] = note.image
        result = recognizer(frame)
        truth = np.array([[bx + ox, by + oy, bw, bh] for bx, by, bw, bh, _ in note.boxes], float)
        det = np.array([d.box for d in result.detections], float).reshape(-1, 4)
        pairs = match(det, truth)
        total += len(truth)
        found += sum(result.detections[d].label == note.boxes[g][4] for d, g in pairs)
    assert found / total >= 0.85, (found, total)


def test_numbers_and_reading_order(recognizer, mnist_sample):
    x, y = mnist_sample
    # pick clearly written digits: those the model reads right on their own
    good = np.flatnonzero(recognizer.classifier.predict(x[:200] / 255.0)[:, :10].argmax(1) == y[:200])
    rng = np.random.default_rng(7)
    idx = rng.choice(good, 9, replace=False)
    scene = render_scene(x[idx], y[idx], rng, size=(480, 640), count=9, height=(44, 50), group=(3, 3))
    result = recognizer(scene.image)
    assert [n.text for n in result.numbers] == scene.numbers
    assert "".join(str(d.label) for d in result.detections) == "".join(scene.numbers)
    assert result.text == "  ".join(scene.numbers)
    ys = [d.box[1] for d in result.detections]
    assert ys[0] <= ys[-1] + 5, "reading order goes top to bottom"


def touching_pair(a: np.ndarray, b: np.ndarray, height: int = 90) -> np.ndarray:
    """Two digits written so close that their ink touches: one connected blob on paper."""
    crops = []
    for d in (a, b):
        d = cv2.dilate(d, np.ones((2, 2), np.uint8))
        ys, xs = np.nonzero(d > 60)
        crop = d[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        scale = height / crop.shape[0]
        crops.append(cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), height), interpolation=cv2.INTER_CUBIC))
    w = crops[0].shape[1] + crops[1].shape[1] - 10  # overlap by 10 px so the strokes join
    ink = np.zeros((height, w), np.uint8)
    ink[:, :crops[0].shape[1]] = crops[0]
    ink[:, w - crops[1].shape[1]:] = np.maximum(ink[:, w - crops[1].shape[1]:], crops[1])
    page = np.full((height + 80, w + 80), 230, np.uint8)
    page[40:40 + height, 40:40 + w] = 230 - (ink.astype(np.float32) * 0.8).astype(np.uint8)
    return page


def test_touching_digits_are_split(recognizer, mnist_sample):
    from digitcam.engine.components import find_strokes

    x, y = mnist_sample
    good = np.flatnonzero(recognizer.classifier.predict(x[:200] / 255.0)[:, :10].argmax(1) == y[:200])
    good = [i for i in good if y[i] != 1]  # a 1 is too narrow to tell a touching pair by its width
    tried = ok = 0
    for k in range(20):
        a, b = good[2 * k], good[2 * k + 1]
        page = touching_pair(x[a], x[b])
        if (find_strokes(page)[0].stats[:, 3] > 20).sum() != 1:
            continue  # the rendering left a gap: not a touching pair
        tried += 1
        ok += [d.label for d in recognizer(page).detections] == [int(y[a]), int(y[b])]
    # round 1's hand-set width rules split 12 of 20; the model-decided chain reads 7 (README, Limits)
    assert tried >= 5 and ok >= 0.3 * tried, (ok, tried)


def test_scan_splits_more_wide_regions_than_a_camera_frame(recognizer):
    """A photo (scan, eval) has twice a camera frame's budget of pieces; without pieces a touching
    pair is one region that reads as no digit."""
    from digitcam.cli import _recognizer
    from digitcam.engine.crops import MAX_FRAME_PIECES, PHOTO_PIECES

    photos = _recognizer(None, "auto", recognizer.min_confidence, photos=True)
    assert photos.max_pieces == PHOTO_PIECES > MAX_FRAME_PIECES == recognizer.max_pieces
    img = np.full((200, 400), 225, np.uint8)
    cv2.putText(img, "42", (60, 150), cv2.FONT_HERSHEY_SIMPLEX, 4, 25, 9)
    cv2.line(img, (120, 140), (160, 140), 25, 9)  # the two digits touch: one stroke
    assert [d.label for d in photos(img).detections] == [4, 2]
    photos.max_pieces = 0
    assert photos(img).detections == []


@pytest.mark.parametrize("kind", ["noise", "gradient", "ruled", "squared", "text", "blank", "shadow"])
def test_digit_free_images_give_no_digits(recognizer, kind):
    rng = np.random.default_rng(3)
    h, w = 480, 640
    img = np.full((h, w, 3), 215, np.uint8)
    if kind == "noise":
        img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
    elif kind == "gradient":
        img = np.tile(np.linspace(60, 240, w, dtype=np.float32)[None, :, None], (h, 1, 3)).astype(np.uint8)
    elif kind in ("ruled", "squared"):
        for v in range(15, h, 30):
            cv2.line(img, (0, v), (w, v), (200, 150, 120), 1)
        if kind == "squared":
            for v in range(15, w, 30):
                cv2.line(img, (v, 0), (v, h), (200, 150, 120), 1)
    elif kind == "text":
        # printed words without the letters that are shaped like digits (l, o, O, I, S, Z, B, g, q, A, a)
        for i, line in enumerate(["HENRY WREN", "we hum, new", "FRENCH HEW", "#&@ % *"]):
            cv2.putText(img, line, (20, 80 + 100 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (30, 30, 30), 3)
    elif kind == "shadow":
        cv2.fillPoly(img, [np.array([[0, 300], [640, 260], [640, 480], [0, 480]], np.int32)], (90, 90, 95))
        img = cv2.GaussianBlur(img, (0, 0), 3)
    result = recognizer(img)
    allowed = 2 if kind == "text" else 0  # printed h and Y can pass for a 4 (docs/history.md, Limits)
    assert len(result.detections) <= allowed, [(d.label, d.confidence, d.box) for d in result.detections]


@pytest.mark.parametrize("frame", [
    np.zeros((1, 1), np.uint8), np.zeros((0, 0), np.uint8), np.zeros((5, 0, 3), np.uint8), np.zeros((2, 2, 3), np.uint8),
    np.full((480, 640), 255, np.uint8), np.zeros((480, 640, 4), np.uint8), np.random.default_rng(0).random((300, 300)),
    np.full((300, 300), 40000, np.uint16), np.zeros((3,), np.uint8),
], ids=["1x1", "0x0", "5x0", "2x2", "white", "bgra", "float", "uint16", "1d"])
def test_odd_frames_do_not_crash(recognizer, frame):
    result = recognizer(frame)
    assert result.detections == [] or all(0 <= d.label <= 9 for d in result.detections)


def test_huge_frame_finishes_quickly(recognizer):
    frame = np.full((10000, 10000), 230, np.uint8)
    cv2.putText(frame, "4", (4000, 6000), cv2.FONT_HERSHEY_SIMPLEX, 60, 20, 150)
    start = time.perf_counter()
    result = recognizer(frame)
    assert time.perf_counter() - start < 20  # a hang guard, not a benchmark
    assert result.width == 10000 and result.height == 10000
    for d in result.detections:
        assert 0 <= d.box[0] < 10000 and 0 <= d.box[1] < 10000


def test_colour_ink_and_sixteen_bit_frames(recognizer, mnist_sample):
    x, y = mnist_sample
    rng = np.random.default_rng(11)
    scene = render_scene(x[:5], y[:5], rng, count=5, height=(40, 50))
    base = [d.label for d in recognizer(scene.image).detections]
    deep = scene.image.astype(np.uint16) * 257
    assert [d.label for d in recognizer(deep).detections] == base
    gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
    assert [d.label for d in recognizer(gray).detections] == base


def test_one_batched_model_call_per_frame(recognizer, mnist_sample, monkeypatch):
    x, y = mnist_sample
    scene = render_scene(x[:8], y[:8], np.random.default_rng(5), count=8)
    calls = []
    original = recognizer.classifier._run

    def counting(digits, contexts):
        calls.append(len(digits))
        return original(digits, contexts)

    monkeypatch.setattr(recognizer.classifier, "_run", counting)
    result = recognizer(scene.image)
    assert len(calls) == 1 and calls[0] >= len(result.detections) >= 6

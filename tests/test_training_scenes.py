"""The rendered training scenes teach what the engine meets: truth and labels the model learns from."""

import numpy as np

from digitcam.train import scenes
from digitcam.train.scenes import label_hypotheses, render_scene


def test_hypotheses_on_a_hidden_digit_are_not_trained_on():
    truth = [(10, 10, 20, 30, 7), (100, 10, 20, 30, -1)]
    boxes = np.array([[10, 10, 20, 30], [101, 11, 19, 29], [300, 300, 20, 30], [100, 10, 10, 30]], np.float64)
    # the visible 7 is a 7; the hidden digit and its half are left out; ink far from both is no digit
    assert label_hypotheses(boxes, truth).tolist() == [7, -1, 10, -1]


def test_a_hand_reports_what_it_covers():
    img = np.full((240, 320, 3), 200.0, np.float32)
    before = img.copy()
    cover = scenes._hand(img, np.random.default_rng(3))
    assert cover.shape == (240, 320) and 0 < cover.mean() < 1
    changed = np.abs(img - before).max(axis=2) > 1
    assert changed[cover > 0.9].all() and not changed[cover < 1e-3].any()


def test_digits_under_a_hand_are_labelled_hidden_and_the_others_kept(mnist_sample):
    x, y = mnist_sample
    hidden = visible = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(x), 400)
        scene = render_scene(x[idx], y[idx], rng)
        labels = [b[4] for b in scene.boxes]
        assert all(-1 <= lab <= 9 for lab in labels)
        hidden += labels.count(-1)
        visible += sum(lab >= 0 for lab in labels)
    assert hidden > 0 and visible > 5 * hidden


def test_some_pages_lie_on_the_desk_seen_at_a_low_angle(mnist_sample):
    """A squashed page: its digits come out much wider than tall relative to how they were written."""
    x, y = mnist_sample
    squat = 0
    for seed in range(80):
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(x), 400)
        scene = render_scene(x[idx], y[idx], rng)
        aspects = [w / h for _, _, w, h, lab in scene.boxes if lab >= 0 and h > 0]
        if len(aspects) >= 5 and np.median(aspects) > 1.3:   # MNIST digits are taller than wide
            squat += 1
    assert squat >= 2

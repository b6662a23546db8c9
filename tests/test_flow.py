"""Live's frames between engine reads: the digits followed move with the image's optical flow."""

import cv2
import numpy as np

from digitcam import flow
from digitcam.detections import Detection
from digitcam.tracking import Tracker


def _page(shift: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(3)
    img = np.full((720, 1280), 230, np.uint8)
    for k in range(8):   # strokes like digits
        x, y = 200 + 110 * k, 300
        cv2.ellipse(img, (x, y), (18, 30), float(rng.uniform(0, 180)), 0, 300, 30, 5)
        cv2.line(img, (x - 10, y + 25), (x + 15, y - 28), 30, 4)
    m = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
    return cv2.warpAffine(img, m, (1280, 720), borderValue=230)


def test_the_motion_of_each_box_is_measured():
    boxes = np.array([(200 + 110 * k - 25, 265, 50, 70) for k in range(8)], float)
    before = flow.small(_page((0, 0)))
    for shift in ((0, 0), (12, -7), (-30, 20)):
        step = flow.shifts(before, flow.small(_page(shift)), boxes)
        assert np.all(np.abs(step - np.array(shift)) < 2.0), (shift, step)
    blank = flow.small(np.full((720, 1280), 230, np.uint8))
    assert flow.shifts(blank, blank, np.zeros((0, 4))).shape == (0, 2)


def test_tracks_are_carried_without_votes_and_coast_where_no_motion_was_found():
    t = Tracker(min_hits=1)
    probs = np.eye(10, dtype=np.float32)[7]
    t.update([Detection((100, 100, 20, 30), 7, 1.0, probs), Detection((300, 100, 20, 30), 7, 1.0, probs)])
    assert t.settled()
    votes = [tr.votes.copy() for tr in t.tracks]
    shown = t.carry(np.array([[10.0, -4.0], [np.nan, np.nan]]))
    assert [d.box for d in shown] == [(110, 96, 20, 30), (300, 100, 20, 30)]
    assert all(np.array_equal(v, tr.votes) for v, tr in zip(votes, t.tracks))
    assert all(tr.misses == 0 for tr in t.tracks)
    t.update([Detection((500, 400, 20, 30), 3, 1.0, probs)])
    assert not Tracker().settled() and not Tracker(min_hits=3, tracks=[t.tracks[-1]]).settled()

"""Pure stages of the engine, without a model: region finding, stroke merging, grouping."""

import cv2
import numpy as np

from digitcam.grouping import lines, numbers, reading_order
from digitcam.regions import DARK, LIGHT, find_regions, merge_strokes


def page(h=300, w=400, value=225):
    return np.full((h, w), value, np.uint8)


def test_reading_order_is_lines_then_left_to_right():
    boxes = np.array([[200, 110, 20, 30], [10, 10, 20, 30], [100, 112, 20, 30], [50, 8, 20, 30]])
    assert reading_order(boxes) == [1, 3, 2, 0]
    assert lines(boxes) == [[1, 3], [2, 0]]


def test_numbers_split_on_wide_gaps_and_height_changes():
    boxes = np.array([[0, 0, 20, 40], [25, 0, 20, 40], [50, 2, 20, 38],   # "123"
                      [150, 0, 20, 40],                                       # far away: its own number
                      [175, 10, 8, 12]])                                      # much smaller: not part of it
    assert sorted(numbers(boxes)) == [[0, 1, 2], [3], [4]]


def test_dark_and_light_ink_are_both_found():
    img = page()
    cv2.putText(img, "4", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 3, 20, 8)
    cv2.rectangle(img, (200, 30), (380, 270), 30, -1)           # a chalkboard patch
    cv2.putText(img, "7", (250, 200), cv2.FONT_HERSHEY_SIMPLEX, 3, 240, 8)
    r = find_regions(img)
    pols = {int(p) for p in r.polarity}
    assert DARK in pols and LIGHT in pols


def test_a_digit_in_several_strokes_is_one_region():
    img = page()
    # a "5" written as two strokes that do not touch: the flag and the body
    cv2.line(img, (100, 60), (160, 60), 20, 6)
    cv2.line(img, (100, 68), (100, 120), 20, 6)
    cv2.ellipse(img, (120, 150), (35, 32), 0, -120, 150, 20, 6)
    r = find_regions(img)
    assert len(r) == 1


def test_two_close_digits_stay_two():
    img = page()
    cv2.putText(img, "1", (100, 180), cv2.FONT_HERSHEY_SIMPLEX, 4, 20, 10)
    cv2.putText(img, "2", (170, 180), cv2.FONT_HERSHEY_SIMPLEX, 4, 20, 10)
    assert len(find_regions(img)) == 2


def test_merge_rules():
    flag_and_body = np.array([[100, 50, 60, 10], [95, 65, 70, 60]])
    assert merge_strokes(flag_and_body) == [[0, 1]]
    side_by_side = np.array([[0, 0, 30, 50], [35, 0, 30, 50]])
    assert sorted(map(sorted, merge_strokes(side_by_side))) == [[0], [1]]
    stacked_rows = np.array([[0, 0, 30, 50], [0, 90, 30, 50]])
    assert len(merge_strokes(stacked_rows)) == 2


def test_ruled_lines_do_not_glue_digits_together():
    img = page(300, 600)
    for y in range(20, 300, 40):
        cv2.line(img, (0, y), (600, y), 150, 1)
    for i, ch in enumerate("3859"):
        cv2.putText(img, ch, (60 + 120 * i, 170), cv2.FONT_HERSHEY_SIMPLEX, 3, 25, 7)
    r = find_regions(img)
    tall = [b for b in r.boxes if b[3] > 40]
    assert len(tall) == 4
    assert all(b[2] < 120 for b in tall), "a rule was kept and joined digits"


def test_nothing_on_blank_pages_and_noise():
    assert len(find_regions(page())) == 0
    rng = np.random.default_rng(0)
    noisy = np.clip(page().astype(np.float32) + rng.normal(0, 3, (300, 400)), 0, 255).astype(np.uint8)
    assert len(find_regions(noisy)) == 0

"""engine.page: the sheet's corners, its shape face-on, and the map between frame and sheet."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from digitcam.engine import page
from digitcam.synth import wood


def _seen(width: float, height: float, recline: float, focal: float, size=(1280, 720), turn: float = 0.0,
          distance: float = 3.0, lower: float = 0.0) -> np.ndarray:
    """The image corners (top-left, top-right, bottom-right, bottom-left) of a ``width`` x
    ``height`` rectangle centred before a pinhole camera of ``focal`` px, ``distance`` of its
    widths away, its top leaning ``recline`` degrees away, turned ``turn`` degrees about the
    camera's axis first; ``lower``: moved down by this many of its widths."""
    t, r = np.radians(turn), np.radians(recline)
    flat = np.array([[-width / 2, -height / 2], [width / 2, -height / 2], [width / 2, height / 2], [-width / 2, height / 2]])
    flat = flat @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    x, y = flat[:, 0], flat[:, 1] * np.cos(r) + lower * width
    z = distance * width - flat[:, 1] * np.sin(r)
    return np.stack([size[0] / 2 + focal * x / z, size[1] / 2 + focal * y / z], axis=1)


def _sheet_on(back: np.ndarray, corners: np.ndarray, level: int = 235) -> np.ndarray:
    frame = back.copy()
    cv2.fillConvexPoly(frame, np.rint(corners).astype(np.int32), (level, level, level), cv2.LINE_AA)
    return frame


@pytest.mark.parametrize("recline", [0, 45, 65])
def test_a_sheet_on_a_desk_is_found_by_its_four_corners(recline):
    rng = np.random.default_rng(recline)
    corners = _seen(500, 700, recline, focal=1100.0, turn=6.0)
    frame = _sheet_on(wood(720, 1280, rng).astype(np.uint8), corners)
    found = page.find(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert found is not None
    assert np.abs(found.corners - corners).max() < 4.0, (found.corners.round(1), corners.round(1))


def test_no_sheet_is_found_where_there_is_none():
    rng = np.random.default_rng(3)
    assert page.find(cv2.cvtColor(wood(720, 1280, rng).astype(np.uint8), cv2.COLOR_BGR2GRAY)) is None
    assert page.find(np.full((480, 640), 230, np.uint8)) is None   # paper filling the frame: no edge to go by
    # paper filling the frame but for one side or two: no three sides to go by
    for corners in ([[-50, 100], [700, 100], [700, 600], [-50, 600]], [[-50, 100], [500, 100], [500, 600], [-50, 600]]):
        frame = _sheet_on(wood(480, 640, rng).astype(np.uint8), np.array(corners, float))
        assert page.find(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)) is None


@pytest.mark.parametrize("turn", [0.0, 12.0])
def test_a_sheet_running_off_the_frame_is_found_by_its_three_sides_in_view(turn):
    """A sheet lying on the desk whose near edge is under the camera: its far corners are found,
    and face-on its far side is level, its sides upright and its shape a 500 x 700 sheet's
    (within 3%, for a camera of the focal length assumed), the part of it in view included."""
    rng = np.random.default_rng(5)
    corners = _seen(500, 700, 60, focal=page.FOCAL * 1280, turn=turn, lower=0.55)
    assert corners[2:, 1].min() > 760 and corners[:2, 1].max() < 500   # its near corners out of view
    frame = _sheet_on(wood(720, 1280, rng).astype(np.uint8), corners)
    found = page.find(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert found is not None and found.outline is not None
    assert np.abs(found.corners[:2] - corners[:2]).max() < 4.0, (found.corners.round(1), corners.round(1))
    warp = page.face_on(found, (1280, 720))
    assert warp is not None
    m, (w, h) = warp
    sheet = cv2.perspectiveTransform(corners[None].astype(np.float32), m)[0]
    assert abs(sheet[0, 1] - sheet[1, 1]) < 0.01 * w and abs(sheet[0, 0] - sheet[3, 0]) < 0.01 * w
    assert (sheet[1, 0] - sheet[0, 0]) / (sheet[3, 1] - sheet[0, 1]) == pytest.approx(500 / 700, rel=0.03)
    seen = cv2.perspectiveTransform(found.outline[None].astype(np.float32), m)[0]
    assert seen.min() > -2 and seen[:, 0].max() < w + 2 and seen[:, 1].max() < h + 2


@pytest.mark.parametrize("recline", [30, 60])
def test_the_sheets_shape_face_on_follows_from_its_corners(recline):
    """A 500 x 700 sheet: given the focal length, its aspect comes back within 2%; a sheet also
    turned about the camera's axis converges both ways, and its focal length is measured."""
    corners = _seen(500, 700, recline, focal=1100.0)
    assert page.aspect(corners, (1280, 720), focal=1100.0) == pytest.approx(500 / 700, rel=0.02)
    turned = _seen(500, 700, recline, focal=900.0, turn=25.0)
    assert page.aspect(turned, (1280, 720)) == pytest.approx(500 / 700, rel=0.05)


def test_a_sheet_facing_the_camera_is_read_as_it_is_and_a_slanted_one_face_on():
    facing = page.Page(_seen(500, 700, 0, focal=1100.0, turn=8.0))
    assert page.face_on(facing, (1280, 720)) is None
    slanted = page.Page(_seen(500, 700, 60, focal=1100.0))
    warp = page.face_on(slanted, (1280, 720))
    assert warp is not None
    m, (w, h) = warp
    assert h > w   # a portrait sheet stands as one again, though it shows wider than tall
    inside = cv2.perspectiveTransform(slanted.corners[None].astype(np.float32), m)[0]
    assert np.allclose(inside, [[0, 0], [w, 0], [w, h], [0, h]], atol=0.5)
    # a box of the face-on sheet comes back around the frame pixels it was seen at
    box = (w // 3, h // 4, w // 10, h // 10)
    x, y, bw, bh = page.box_back(box, m)
    centre = cv2.perspectiveTransform(np.float32([[[box[0] + box[2] / 2, box[1] + box[3] / 2]]]), np.linalg.inv(m))[0, 0]
    assert x < centre[0] < x + bw and y < centre[1] < y + bh
    assert bh < bw   # seen at a slant, the box is flatter in the frame than on the sheet


def test_a_sheet_as_bright_as_the_desk_is_found_by_its_colour():
    """A lilac sheet on a pink cloth of the same grey: no edge in grey, a clear one in colour."""
    rng = np.random.default_rng(8)
    back = np.clip(np.float32([150, 140, 230]) + rng.normal(0, 6, (720, 1280, 3)), 0, 255).astype(np.uint8)
    corners = _seen(500, 700, 55, focal=1100.0, turn=-5.0)
    frame = back.copy()
    cv2.fillConvexPoly(frame, np.rint(corners).astype(np.int32), (235, 139, 200), cv2.LINE_AA)
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert page.find(gray) is None
    found = page.find(gray, frame)
    assert found is not None and np.abs(found.corners - corners).max() < 4.0


def test_a_sheet_seen_turned_a_quarter_keeps_its_pixels_face_on():
    """The same slanted sheet in a frame turned a quarter: face-on, its near side (now upright in
    the frame) is as long as it shows, not shrunk to the foreshortened sides' length."""
    corners = _seen(500, 700, 60, focal=1100.0)
    near = float(np.linalg.norm(corners[2] - corners[3]))
    m, (w, h) = page.face_on(page.Page(corners), (1280, 720))
    assert w == pytest.approx(near, abs=1)
    turned = page._ordered(np.stack([720 - 1 - corners[:, 1], corners[:, 0]], axis=1))   # a quarter clockwise
    m, (tw, th) = page.face_on(page.Page(turned), (720, 1280))
    assert th == pytest.approx(near, abs=1) and tw == pytest.approx(h, rel=0.02), ((tw, th), (w, h))


def test_no_sheet_is_found_in_a_page_of_handwriting():
    """Lines drawn through dense writing lie on edges too, but the strokes they cross rise and
    fall within a few pixels; a sheet's edge is one step. Counting every strong edge, 7 of these
    12 pages held a quadrilateral of such lines (one was read face-on, with more letters read as
    digits)."""
    rng = np.random.default_rng(3)
    words = "beautiful is better than ugly explicit is better than implicit simple is better than complex".split()
    fonts = [cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX]
    for _ in range(12):
        img = np.full((800, 1100), int(rng.integers(225, 250)), np.uint8)
        y = 50
        while y < 780:
            cv2.putText(img, " ".join(rng.choice(words, 12)), (30, y), int(rng.choice(fonts)), rng.uniform(1.0, 1.6),
                        int(rng.integers(10, 60)), int(rng.integers(1, 4)), cv2.LINE_AA)
            y += int(rng.integers(36, 56))
        assert page.find(img) is None


def test_a_rectangle_drawn_on_a_page_filling_the_frame_is_found():
    """A box drawn on a sheet that fills the frame is a rectangle on the sheet too: its sides are
    lines (rising and falling across them), and it is read face-on as the sheet would be."""
    corners = _seen(500, 700, 55, focal=1100.0, turn=4.0)
    frame = np.full((720, 1280, 3), 225, np.uint8)
    cv2.polylines(frame, [np.rint(corners).astype(np.int32)], True, (40, 40, 200), 3, cv2.LINE_AA)
    found = page.find(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), frame)
    assert found is not None and np.abs(found.corners - corners).max() < 8.0

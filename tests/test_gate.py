"""The gate (engine.gate): frames without digit ink are not read; frames with digits are read
as if there were no gate.

The reader's use of it is checked with a stand-in model; the shipped gate on rendered scenes:
it sees the digits of pages held up in front of wood and fabric (upright and turned), of a
drawing canvas, and a lone 1 or 4 written small; and no digit ink on most digit-free wood,
fabric and stripes. Its calibration is checked on a tiny run of its training command.
"""

from pathlib import Path

import numpy as np
import pytest

from digitcam.engine import Recognizer
from digitcam.engine.gate import GATE_MAX_SIDE, STRIDE, Gate, applies, load_gate
from digitcam.model import MODEL_DIR
from digitcam.synth import fabric, held_up_page, render_scene, stripes, wood


def stand_in(seen: bool) -> Gate:
    """A gate whose model finds digit ink in one cell of every frame, or in none."""

    def run(small: np.ndarray) -> np.ndarray:
        out = np.zeros((-(-small.shape[0] // STRIDE), -(-small.shape[1] // STRIDE)), np.float32)
        out[3, 4] = 0.9 if seen else 0.1
        return out

    return Gate(run, threshold=0.5)


def test_gate_reads_camera_frames_only():
    assert applies((720, 1280)) and applies((1080, 1920))
    assert not applies((3024, 4032)) and not applies((GATE_MAX_SIDE + 1, 100))


@pytest.fixture(scope="module")
def held_up(mnist_sample):
    """Four pages of 24 digits held up in front of wood or fabric, 1280x720."""
    x, y = mnist_sample
    rng = np.random.default_rng(11)
    scenes = []
    for k in range(4):
        idx = rng.integers(0, len(x), 24)
        page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=24, height=(34, 52), noise=2.0,
                            paper=("plain", "ruled", "squared", "plain")[k])
        scenes.append(held_up_page(page, (wood if k % 2 else fabric)(720, 1280, rng), rng))
    return scenes


def test_a_frame_the_gate_sees_digits_in_is_read_whole(classifier, held_up):
    image = held_up[0].image
    whole = Recognizer(classifier, gate=None)(image)
    gated = Recognizer(classifier, gate=stand_in(True))(image)
    assert len(whole.detections) >= 18
    assert [(d.box, d.label) for d in gated.detections] == [(d.box, d.label) for d in whole.detections]
    assert gated.timings["gate"] > 0 and gated.timings["looks"] >= 1


def test_nothing_is_read_where_the_gate_finds_nothing(classifier, held_up):
    result = Recognizer(classifier, gate=stand_in(False))(held_up[0].image)
    assert result.detections == [] and result.timings["looks"] == 0 and (result.width, result.height) == (1280, 720)
    # a part of a frame (live, around the digits it follows) and a big photo are read whatever the gate says
    part = Recognizer(classifier, gate=stand_in(False))(held_up[0].image, roi=(0, 0, 1280, 720))
    assert len(part.detections) >= 18
    big = np.tile(held_up[0].image, (3, 2, 1))   # 2160x2560
    assert len(Recognizer(classifier, gate=stand_in(False), second_look=False)(big).detections) > 0


shipped = pytest.mark.skipif(load_gate(MODEL_DIR) is None, reason="no gate shipped beside the model (or no LiteRT)")


@shipped
def test_the_shipped_gate_sees_pages_held_up_upright_and_turned(held_up):
    gate = load_gate(MODEL_DIR)
    for scene in held_up:
        gray = scene.image.mean(axis=2).astype(np.uint8)
        for turn in range(4):
            scores, _ = gate.heat(np.ascontiguousarray(np.rot90(gray, turn)))
            assert (scores >= gate.threshold).sum() >= 10, turn   # many cells: not by a hair


@shipped
def test_the_shipped_gate_sees_one_digit_on_a_canvas(mnist_sample):
    import cv2

    x, _ = mnist_sample
    gate = load_gate(MODEL_DIR)
    for k in range(10):   # white on black, as digitcam draw shows it, and black on white
        big = cv2.resize(x[k], (400, 400), interpolation=cv2.INTER_CUBIC)
        canvas = np.full((480, 640), 20, np.uint8)
        canvas[40:440, 120:520] = np.maximum(canvas[40:440, 120:520], big)
        assert gate.sees_digits(canvas) and gate.sees_digits(255 - canvas), k


@shipped
def test_the_shipped_gate_sees_a_lone_small_digit(mnist_sample):
    """The hardest frame for it: one small digit of straight strokes, nothing else."""
    from digitcam.synth import render_scene

    x, y = mnist_sample
    gate = load_gate(MODEL_DIR)
    rng = np.random.default_rng(2)
    seen = []
    for d in (1, 4, 7):
        for k in np.flatnonzero(y == d)[:8]:
            scene = render_scene(x[[k]], y[[k]], rng, size=(480, 640), count=1, height=(28, 60), noise=3.0)
            seen.append(gate.sees_digits(scene.image.mean(axis=2).astype(np.uint8)))
    assert np.mean(seen) >= 0.95, np.mean(seen)


@shipped
def test_the_shipped_gate_skips_digit_free_texture(classifier):
    """Floorboards, fabric and stripes: nothing read, and the engine's stages never ran."""
    rng = np.random.default_rng(5)
    rec = Recognizer(classifier)
    frames = [make(720, 1280, rng) for make in (wood, fabric, stripes) for _ in range(3)]
    skipped = 0
    for frame in frames:
        result = rec(np.clip(frame, 0, 255).astype(np.uint8))
        assert result.detections == []
        skipped += result.timings["looks"] == 0
    assert skipped >= 7, skipped


def test_training_writes_a_gate_the_engine_loads(tmp_path):
    """A tiny run of ``python -m digitcam.train.gate``: model, LiteRT file and a card whose
    threshold reads the required share of its few-digit frames."""
    import json

    from digitcam.train import gate as training

    FULL_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"
    if not FULL_MNIST.exists():
        pytest.skip("needs ../shared/data/mnist.npz")
    old = training.FEW_FRAMES
    training.FEW_FRAMES = 40
    try:
        assert training.main(["--data", str(FULL_MNIST), "--out", str(tmp_path), "--scenes", "8", "--val-scenes", "4",
                              "--epochs", "1"]) == 0
    finally:
        training.FEW_FRAMES = old
    card = json.loads((tmp_path / "gate.card.json").read_text())
    assert card["few_digit_frames"] == 40 and card["few_digit_frames_read"] >= training.RECALL - 1 / 40
    gate = load_gate(tmp_path)
    assert gate is not None and gate.threshold == card["threshold"]
    assert training.main(["--data", str(FULL_MNIST), "--out", str(tmp_path / "missing")]) == 2


def test_a_damaged_gate_is_said_once_and_frames_are_read_without_it(tmp_path, capsys):
    """A corrupt gate.tflite must not stop reading (it only saves time), nor fail silently."""
    import shutil

    shutil.copy(MODEL_DIR / "gate.card.json", tmp_path / "gate.card.json")
    (tmp_path / "gate.tflite").write_bytes(b"not a flatbuffer")
    assert load_gate(tmp_path) is None
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "could not be loaded" in err[0] and "without it" in err[0]
    assert load_gate(tmp_path) is None and capsys.readouterr().err == ""   # said once a process
    (tmp_path / "gate.card.json").write_text("{}")        # a card without a threshold: another fault
    assert load_gate(tmp_path) is None
    assert "could not be loaded" in capsys.readouterr().err

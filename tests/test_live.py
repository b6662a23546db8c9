"""``digitcam live`` on a video file through the camera's code path, headless, and its faults."""

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import assert_one_line_error, run_cli
from digitcam.live import LiveOptions, run_live
from digitcam.synth import render_scene

FPS = 15.0
FRAMES = 60


def make_test_video(path: Path, digits, labels, frames: int = FRAMES) -> list[list[tuple]]:
    """Digits on paper drifting, tilting and changing light; returns the true boxes per frame."""
    rng = np.random.default_rng(4)
    scene = render_scene(digits, labels, rng, size=(360, 480), count=len(digits), height=(50, 60), group=(1, 2))
    h, w = scene.image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (w, h))
    truth = []
    for i in range(frames):
        t = i / FPS
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 3.0 * np.sin(t), 1.0 + 0.03 * np.sin(0.7 * t))
        m[:, 2] += (10 * np.sin(1.3 * t), 6 * np.cos(t))
        frame = cv2.warpAffine(scene.image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        frame = cv2.convertScaleAbs(frame, alpha=1.0 - 0.15 * (0.5 + 0.5 * np.sin(0.9 * t)), beta=0)
        writer.write(frame)
        boxes = []
        for x, y, bw, bh, label in scene.boxes:
            pts = np.array([[x, y, 1], [x + bw, y, 1], [x + bw, y + bh, 1], [x, y + bh, 1]], float) @ m.T
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            boxes.append((x0, y0, x1 - x0, y1 - y0, label))
        truth.append(boxes)
    writer.release()
    return truth


@pytest.fixture(scope="module")
def video(tmp_path_factory, mnist_sample, classifier):
    x, y = mnist_sample
    good = np.flatnonzero(classifier.predict(x[:300] / 255.0)[:, :10].argmax(1) == y[:300])
    idx = good[[3, 17, 42, 77, 120, 150]]
    path = tmp_path_factory.mktemp("video") / "digits.avi"
    truth = make_test_video(path, x[idx], y[idx])
    return path, truth


def test_video_through_the_camera_code_path_is_read_steadily(recognizer, video, capsys):
    path, truth = video
    stats = run_live(recognizer, LiveOptions(source=str(path), show=False, jsonl=True), log=lambda m: None)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert stats.frames == FRAMES == len(records)
    assert [r["frame"] for r in records] == list(range(FRAMES)), "a video file is read in order, no frame dropped"
    for r in records:
        assert set(r) >= {"frame", "time", "width", "height", "digits", "numbers"}
    warmup = int(0.5 * FPS)
    right = total = changes = pairs = 0
    last_label: dict[int, int] = {}
    for rec, boxes in zip(records[warmup:], truth[warmup:]):
        for k, (x, y, w, h, label) in enumerate(boxes):
            total += 1
            inside = [d for d in rec["digits"] if x <= d["box"][0] + d["box"][2] / 2 <= x + w and y <= d["box"][1] + d["box"][3] / 2 <= y + h]
            if inside:
                shown = inside[0]["label"]
                right += shown == label
                if k in last_label:
                    pairs += 1
                    changes += shown != last_label[k]
                last_label[k] = shown
    assert right / total >= 0.97, (right, total)
    assert changes / max(pairs, 1) <= 0.01, (changes, pairs)
    assert len(stats.track_ids) <= len(truth[0]) + 2, "each digit keeps one track"


def test_save_writes_an_annotated_video(recognizer, video, tmp_path):
    path, _ = video
    out = tmp_path / "out.mp4"
    stats = run_live(recognizer, LiveOptions(source=str(path), show=False, save=out, max_frames=20), log=lambda m: None)
    assert stats.frames == 20 and stats.ended.startswith("--max-frames")
    cap = cv2.VideoCapture(str(out))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, frame = cap.read()
    assert ok and n == 20
    original = cv2.VideoCapture(str(path)).read()[1]
    assert np.abs(frame.astype(int) - original).mean() > 1.0, "the overlay is drawn"


def test_image_folder_as_source(recognizer, video, tmp_path):
    path, _ = video
    cap = cv2.VideoCapture(str(path))
    for i in range(5):
        ok, frame = cap.read()
        cv2.imwrite(str(tmp_path / f"f{i:02d}.png"), frame)
    stats = run_live(recognizer, LiveOptions(source=str(tmp_path), show=False), log=lambda m: None)
    assert stats.frames == 5


def test_cli_headless_jsonl_and_summary(video):
    path, _ = video
    proc = run_cli("live", "--source", str(path), "--no-show", "--jsonl", "--max-frames", "10")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 10
    assert "frames" in proc.stderr and "average fps" in proc.stderr and "digits seen" in proc.stderr


def test_no_display_falls_back_or_explains(video, tmp_path):
    path, _ = video
    proc = run_cli("live", "--source", str(path), env={"DISPLAY": ""})
    assert_one_line_error(proc, 1, "no display", "--no-show")
    proc = run_cli("live", "--source", str(path), "--save", str(tmp_path / "o.avi"), "--max-frames", "3", env={"DISPLAY": ""})
    assert proc.returncode == 0, proc.stderr
    assert "running headless" in proc.stderr and (tmp_path / "o.avi").stat().st_size > 0


def test_faults_have_one_line_messages(tmp_path, video):
    path, _ = video
    assert_one_line_error(run_cli("live", "--source", "97", "--no-show"), 1, "no camera at index 97", "--source")
    assert_one_line_error(run_cli("live", "--source", str(tmp_path / "none.mp4"), "--no-show"), 2, "no such video")
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    proc = run_cli("live", "--source", str(junk), "--no-show")
    assert_one_line_error(proc, 1, "cannot open video")
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1, proc.stderr  # no FFmpeg chatter
    assert_one_line_error(run_cli("live", "--source", str(path), "--no-show", "--save", "/no/such/dir/out.mp4"), 2, "not writable")
    assert_one_line_error(run_cli("live", "--source", str(tmp_path / "empty*.png"), "--no-show"), 2, "no images")


def test_mirror_reads_the_camera_picture_and_flips_only_the_view(recognizer, video, capsys):
    """A selfie view must not read mirrored digits: the JSONL (camera coordinates) is the same
    with and without --mirror, and the saved view is the flipped picture."""
    path, _ = video

    def frames(mirror):
        run_live(recognizer, LiveOptions(source=str(path), show=False, jsonl=True, mirror=mirror, max_frames=15), log=lambda m: None)
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    plain, mirrored = frames(False), frames(True)
    assert [f["digits"] for f in plain] == [f["digits"] for f in mirrored]
    assert sum(len(f["digits"]) for f in mirrored) >= 15 * 4


def test_stills_from_a_folder_are_read_each_on_its_own(recognizer, mnist_sample, tmp_path, capsys):
    """No tracking across stills: each photo's reading is what scan reads, from its first frame,
    and --save letterboxes photos of other sizes into the video instead of dropping them."""
    x, y = mnist_sample
    rng = np.random.default_rng(8)
    sizes = [(300, 400), (480, 640), (300, 400), (360, 360)]
    for i, size in enumerate(sizes):
        idx = rng.choice(len(x), 3, replace=False)
        cv2.imwrite(str(tmp_path / f"s{i}.png"), render_scene(x[idx], y[idx], rng, size=size, count=3, height=(50, 60)).image)
    out = tmp_path / "stills.avi"
    run_live(recognizer, LiveOptions(source=str(tmp_path), show=False, jsonl=True, save=out), log=lambda m: None)
    shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(shown) == len(sizes)
    for i, f in enumerate(shown):
        expected = recognizer(cv2.imread(str(tmp_path / f"s{i}.png")))
        assert [d["label"] for d in f["digits"]] == [d.label for d in expected.detections]
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == len(sizes)

"""Inputs and first-run habits that round 1 mishandled (issue: reliability and first run)."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import assert_one_line_error, run_cli
from digitcam.images import ImageError, read_image


def _jpeg(tmp_path, name="p.jpg"):
    img = np.full((120, 160, 3), 220, np.uint8)
    cv2.putText(img, "7", (50, 100), cv2.FONT_HERSHEY_SIMPLEX, 3, (20, 20, 20), 6)
    ok, enc = cv2.imencode(".jpg", img)
    return enc.tobytes()


def test_phone_jpegs_with_data_after_the_end_marker_are_read(tmp_path):
    data = _jpeg(tmp_path)
    for i, tail in enumerate([b"HUAWEI" + b"\x00" * 300, b"\x00" * 4096, b"ftypmp42" + np.random.default_rng(0).bytes(2000)]):
        p = tmp_path / f"phone{i}.jpg"
        p.write_bytes(data + tail)
        assert read_image(p).shape[:2] == (120, 160)


def test_a_truncated_jpeg_is_still_refused(tmp_path):
    p = tmp_path / "cut.jpg"
    p.write_bytes(_jpeg(tmp_path)[:-400])
    with pytest.raises(ImageError, match="truncated"):
        read_image(p)


def test_short_help_flag_and_runtime_choices():
    proc = run_cli("scan", "-h")
    assert proc.returncode == 0 and "--runtime" in proc.stdout
    assert "auto" in proc.stdout and "litert" in proc.stdout and "tensorflow" in proc.stdout
    assert_one_line_error(run_cli("scan", "x.png", "--runtime", "cuda"), 2, "cuda")


def test_command_line_mistakes_are_one_line_that_names_the_help():
    """Typer's own usage error is a five-line box; a user needs the mistake and where to look."""
    for args, needle in ((("eval", "--resize", "abc"), "--resize"), (("bench", "--frames", "many"), "--frames"),
                         (("scan",), "missing argument"), (("scan", "x.png", "--nope"), "--nope"),
                         (("nosuch",), "nosuch")):
        proc = run_cli(*args)
        path = "digitcam" if args[0] == "nosuch" else f"digitcam {args[0]}"
        assert_one_line_error(proc, 2, needle, f"{path} --help")
        assert proc.stdout == "" and "\u256d" not in proc.stderr  # no box
    bare = run_cli()  # no command at all: the help, as before
    assert bare.returncode == 0 and "Usage:" in bare.stdout and "scan" in bare.stdout


def test_a_missing_model_is_a_usage_error(tmp_path):
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), np.full((50, 50), 255, np.uint8))
    assert_one_line_error(run_cli("scan", str(img), "--model", "nosuch.keras"), 2, "model not found")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into any folder")
def test_annotate_into_a_folder_that_cannot_be_written(tmp_path):
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), np.full((50, 50), 255, np.uint8))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    assert_one_line_error(run_cli("scan", str(img), "--annotate", str(locked)), 2, "cannot write")


def test_annotate_that_fails_to_write_is_an_error_not_silence(tmp_path, monkeypatch):
    from digitcam.detections import Result
    from digitcam.errors import DigitcamError
    from digitcam.scan import ScanRecord
    from digitcam.scan_output import Annotator

    ann = Annotator(tmp_path / "out")
    monkeypatch.setattr(cv2, "imwrite", lambda *a, **k: False)
    rec = ScanRecord("a.png", Result(10, 10), None, 1.0, image=np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(DigitcamError, match="cannot write"):
        ann.add(rec)


def test_eval_writes_no_file_unasked(tmp_path):
    from conftest import FULL_MNIST

    data = FULL_MNIST if FULL_MNIST.exists() else None
    if data is None:
        pytest.skip("needs MNIST")
    proc = run_cli("eval", "--data", str(data), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_display_is_one_line_not_a_crash(tmp_path):
    proc = run_cli("draw", env={"DISPLAY": ":97"}, timeout=60)
    assert proc.returncode not in (0, 134), proc.returncode
    assert_one_line_error(proc, proc.returncode, "no X server")


def test_ctrl_c_during_scan_keeps_what_was_read_as_valid_json(tmp_path):
    import json
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "many"
    folder.mkdir()
    img = np.full((60, 80), 230, np.uint8)
    cv2.putText(img, "3", (25, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3)
    ok, enc = cv2.imencode(".png", img)
    for i in range(5000):
        (folder / f"{i:05d}.png").write_bytes(enc.tobytes())
    # a shell starts background jobs with SIGINT ignored, and a child inherits that: Ctrl-C as a
    # terminal sends it needs the default disposition (what Python turns into KeyboardInterrupt)
    proc = subprocess.Popen([sys.executable, "-m", "digitcam", "scan", str(folder), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    out, errs = proc.communicate(timeout=60)
    assert proc.returncode == 130, (proc.returncode, errs[-500:])
    assert "Traceback" not in errs and "interrupted after" in errs
    rows = json.loads(out)
    assert 0 < len(rows) < 5000 and all(r["error"] is None for r in rows)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

DTYPES = [np.uint8, np.uint16, np.int8, np.int16, np.int32, np.float32, np.float64, bool]


@st.composite
def frames(draw):
    h = draw(st.integers(1, 80))
    w = draw(st.integers(1, 80))
    channels = draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
    dtype = draw(st.sampled_from(DTYPES))
    pattern = draw(st.sampled_from(["random", "constant", "gradient", "digit"]))
    shape = (h, w) if channels is None else (h, w, channels)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if pattern == "random":
        base = rng.random(shape)
    elif pattern == "constant":
        base = np.full(shape, draw(st.floats(0, 1)))
    elif pattern == "gradient":
        base = np.broadcast_to(np.linspace(0, 1, w)[None, :, None][..., :1] if channels else np.linspace(0, 1, w)[None, :], shape).copy()
    else:
        ink = np.full((h, w), 255, np.uint8)
        cv2.putText(ink, "4", (0, max(1, h - 2)), cv2.FONT_HERSHEY_SIMPLEX, max(0.3, h / 30), 0, 2)
        base = ink.astype(np.float64) / 255
        if channels:
            base = np.repeat(base[..., None], channels, axis=2)
    if dtype is bool:
        return base > 0.5
    if np.issubdtype(dtype, np.floating):
        return base.astype(dtype)
    info = np.iinfo(dtype)
    return (info.min + base * (info.max - info.min)).astype(dtype)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames())
def test_the_recognizer_reads_any_frame(recognizer, frame):
    result = recognizer(frame)
    assert result.width == frame.shape[1] and result.height == frame.shape[0]
    for d in result.detections:
        x, y, w, h = d.box
        assert 0 <= x and 0 <= y and w >= 1 and h >= 1 and x + w <= frame.shape[1] and y + h <= frame.shape[0]


@pytest.mark.parametrize("dtype", [np.uint16, np.int8, bool])
def test_types_that_round_1_misread_give_the_same_reading(recognizer, mnist_sample, dtype):
    from digitcam.synth import render_scene

    x, y = mnist_sample
    scene = render_scene(x[:4], y[:4], np.random.default_rng(2), count=4, height=(44, 50))
    gray = cv2.cvtColor(scene.image, cv2.COLOR_BGR2GRAY)
    base = [d.label for d in recognizer(gray).detections]
    if dtype is np.uint16:
        frame = gray.astype(np.uint16)          # 8-bit values in a 16-bit array
    elif dtype is np.int8:
        frame = (gray.astype(np.int16) - 128).astype(np.int8)
    else:
        frame = gray > 128
        base = [d.label for d in recognizer(frame.astype(np.uint8) * 255).detections]
    assert [d.label for d in recognizer(frame).detections] == base
    two = np.dstack([gray, np.full_like(gray, 255)])  # gray + alpha
    assert [d.label for d in recognizer(two).detections] == [d.label for d in recognizer(gray).detections]


def _png(path):
    img = np.full((40, 40), 230, np.uint8)
    cv2.imwrite(str(path), img)


def test_a_symlink_loop_ends_and_each_file_is_listed_once(tmp_path):
    from digitcam.scan import expand_inputs

    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    _png(root / "a.png")
    _png(root / "sub" / "b.png")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to(root, target_is_directory=True)
    (root / "a_again.png").symlink_to(root / "a.png")
    for spec in (str(root), str(root / "**" / "*.png")):
        items = list(expand_inputs([spec]))
        names = sorted(Path(i.path).name for i in items if i.path)
        assert names == ["a.png", "b.png"], (spec, names)


def test_unreadable_folders_and_gifs_are_reported_not_skipped(tmp_path):
    from digitcam.scan import expand_inputs

    root = tmp_path / "photos"
    (root / "locked").mkdir(parents=True)
    _png(root / "a.png")
    gif = root / "b.gif"
    from PIL import Image

    Image.fromarray(np.full((20, 20), 200, np.uint8)).save(gif)
    assert read_image(gif).shape[:2] == (20, 20)
    names = sorted(Path(i.path).name for i in expand_inputs([str(root)]) if i.path)
    assert names == ["a.png", "b.gif"]
    if os.geteuid() != 0:  # root reads any folder
        (root / "locked").chmod(0)
        errors = [i for i in expand_inputs([str(root)]) if i.error]
        assert errors and "cannot read" in errors[0].error
        (root / "locked").chmod(0o755)


@pytest.mark.parametrize("case", ["labels_outside", "empty"])
def test_bad_mnist_files_are_one_line_for_eval_and_train(tmp_path, case):
    x = np.zeros((20, 28, 28), np.uint8)
    y = np.arange(20) % 10
    if case == "labels_outside":
        y = y + 5
    else:
        x, y = x[:0], y[:0]
    data = tmp_path / "m.npz"
    np.savez(data, x_train=x, y_train=y, x_test=x, y_test=y)
    assert_one_line_error(run_cli("eval", "--data", str(data)), 2, "labels outside 0-9" if case == "labels_outside" else "empty")
    assert_one_line_error(run_cli("train", "--data", str(data), "--output", str(tmp_path / "o.keras")), 2,
                          "labels outside 0-9" if case == "labels_outside" else "empty")
    assert not list(tmp_path.glob(".*.run")), "no empty run folder left behind"


def test_resume_with_a_corrupt_state_is_one_line(tmp_path, mnist_sample):
    x, y = mnist_sample
    data = tmp_path / "m.npz"
    np.savez(data, x_train=x[:300], y_train=y[:300], x_test=x[300:], y_test=y[300:])
    run = tmp_path / ".o.run"
    run.mkdir()
    (run / "checkpoint.keras").write_bytes(b"x")
    (run / "state.json").write_text("{not json")
    assert_one_line_error(run_cli("train", "--data", str(data), "--output", str(tmp_path / "o.keras"), "--resume"), 2, "corrupt")


def test_a_litert_file_that_is_not_its_models_is_refused(tmp_path):
    import shutil

    from digitcam.errors import DigitcamError
    from digitcam.model import DEFAULT_MODEL
    from digitcam.runtime import load_classifier
    from digitcam.train.card import card_paths, sign_card

    model = tmp_path / "m.keras"
    shutil.copy(DEFAULT_MODEL, model)
    paths = card_paths(DEFAULT_MODEL)
    shutil.copy(paths["tflite"], tmp_path / "m.tflite")
    shutil.copy(paths["card"], tmp_path / "m.card.json")
    sign_card(model)
    assert load_classifier(model).runtime == "litert"
    (tmp_path / "m.keras").write_bytes(DEFAULT_MODEL.read_bytes() + b"retrained")  # a new .keras, the old .tflite
    with pytest.raises(DigitcamError, match="not one set"):
        load_classifier(model)


def _huge_png(path, side=32000):
    """A white PNG of side x side pixels written row by row (a few hundred KB, little memory)."""
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * side
    parts = [comp.compress(row) for _ in range(side)]
    idat = b"".join(parts) + comp.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_a_huge_png_is_refused_from_its_header_without_decoding(tmp_path):
    """A small PNG of 32000x32000 would cost 3 GB to decode: refused from its header."""
    import resource

    p = tmp_path / "huge.png"
    _huge_png(p)
    assert p.stat().st_size < 5_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImageError, match="too large"):
        read_image(p)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, grown_mb


def test_live_on_a_folder_of_unreadable_images_is_an_error(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.png").write_bytes(b"not a png")
    assert_one_line_error(run_cli("live", "--source", str(tmp_path), "--no-show", "--jsonl"), 1, "could be read")


def test_an_unreachable_stream_is_not_called_a_codec_problem():
    proc = run_cli("live", "--source", "http://127.0.0.1:9/stream.mjpg", "--no-show", "--jsonl", timeout=120)
    assert_one_line_error(proc, 1, "cannot open stream")
    assert "codec" not in proc.stderr


def test_sigterm_during_live_save_finishes_a_playable_video(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in.avi"
    writer = cv2.VideoWriter(str(src), cv2.VideoWriter_fourcc(*"MJPG"), 30, (320, 240))
    for i in range(900):
        frame = np.full((240, 320, 3), 225, np.uint8)
        cv2.putText(frame, str(i % 10), (100 + (i % 40), 170), cv2.FONT_HERSHEY_SIMPLEX, 4, (20, 20, 20), 8)
        writer.write(frame)
    writer.release()
    out = tmp_path / "out.mp4"
    proc = subprocess.Popen([sys.executable, "-m", "digitcam", "live", "--source", str(src), "--no-show", "--save", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and (not out.exists() or out.stat().st_size < 20000):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, errs = proc.communicate(timeout=60)
    assert "Traceback" not in errs
    cap = cv2.VideoCapture(str(out))
    ok, frame = cap.read()
    assert ok and frame.shape[:2] == (240, 320), errs[-500:]
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) > 5


def test_the_scan_table_fits_80_columns_as_one_table(tmp_path):
    deep = tmp_path / "a_rather_long_folder_name" / "and_another_level"
    deep.mkdir(parents=True)
    img = np.full((80, 120), 230, np.uint8)
    cv2.putText(img, "42", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 20, 4)
    for i in range(25):
        cv2.imwrite(str(deep / f"IMG_20210114_124240_a_very_long_file_name_{i:02d}.png"), img)
    proc = run_cli("scan", str(tmp_path), env={"COLUMNS": "80"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 26 and all(len(line) <= 80 for line in lines), [len(line) for line in lines]
    assert sum(line.startswith("file") for line in lines) == 1, "one header: one table"
    assert all(line.index("  ") == lines[1].index("  ") for line in lines[1:]), "columns stay aligned"
    assert "…" in lines[1] and lines[1].split()[0].endswith(".png")
    one = run_cli("scan", str(deep / "IMG_20210114_124240_a_very_long_file_name_00.png"), env={"COLUMNS": "80"})
    assert "1 image," in one.stderr and "1 error" not in one.stderr


def test_eval_errors_with_a_path_that_is_not_a_png(tmp_path):
    assert_one_line_error(run_cli("eval", "--errors", str(tmp_path / "errors.txt")), 2, ".png")


def test_a_short_training_run_says_what_to_expect(tmp_path, mnist_sample):
    x, y = mnist_sample
    data = tmp_path / "m.npz"
    np.savez(data, x_train=x[:300], y_train=y[:300], x_test=x[300:], y_test=y[300:])
    proc = run_cli("train", "--data", str(data), "--output", str(tmp_path / "o.keras"), "--epochs", "1", "--scenes", "4",
                   "--batch-size", "64", "--limit", "150", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "a short run" in proc.stderr and "do not expect a usable model" in proc.stderr
    import json

    card = json.loads((tmp_path / "o.card.json").read_text())
    assert card["test_digits"] == 200, "--limit shrinks the training digits, not the test set"


def test_eval_without_mnist_says_why(tmp_path):
    proc = run_cli("eval", env={"HOME": str(tmp_path), "DIGITCAM_MNIST": ""}, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "MNIST not found" in proc.stderr and "(Exception)" not in proc.stderr and "--data" in proc.stderr


def test_train_into_a_folder_that_cannot_be_made_is_one_line(tmp_path, mnist_sample):
    x, y = mnist_sample
    data = tmp_path / "m.npz"
    np.savez(data, x_train=x[:300], y_train=y[:300], x_test=x[300:], y_test=y[300:])
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    assert_one_line_error(run_cli("train", "--data", str(data), "--output", str(blocker / "sub" / "o.keras")), 2, "cannot create")


def test_a_subfolder_that_cannot_be_listed_is_reported(tmp_path, monkeypatch):
    from digitcam.scan import expand_inputs

    root = tmp_path / "photos"
    (root / "locked").mkdir(parents=True)
    _png(root / "a.png")
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    items = list(expand_inputs([str(root)]))
    assert [Path(i.path).name for i in items if i.path and not i.error] == ["a.png"]
    errors = [i for i in items if i.error]
    assert len(errors) == 1 and "cannot read this folder" in errors[0].error and errors[0].shown.endswith("locked")


def test_bench_and_eval_tables_fit_80_columns(tmp_path):
    import json

    img = np.full((120, 200, 3), 230, np.uint8)
    cv2.putText(img, "35", (30, 100), cv2.FONT_HERSHEY_SIMPLEX, 3, (20, 20, 20), 7)
    cv2.imwrite(str(tmp_path / "a_photo_with_a_rather_long_name_indeed.png"), img)
    (tmp_path / "m.json").write_text(json.dumps([{"file": "a_photo_with_a_rather_long_name_indeed.png", "kind": "photo_paper",
                                                   "boxes": [[30, 40, 50, 60, 3], [90, 40, 50, 60, 5]]}]))
    proc = run_cli("eval", "--labels", str(tmp_path / "m.json"), env={"COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    assert all(len(line) <= 80 for line in proc.stdout.splitlines()), proc.stdout
    proc = run_cli("bench", "--what", "engine", "--frames", "5", env={"COLUMNS": "80"}, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert all(len(line) <= 80 for line in proc.stdout.splitlines()), proc.stdout


def test_every_option_of_every_command_has_help():
    import typer

    from digitcam.cli import app

    group = typer.main.get_command(app)
    missing = []
    for name, command in group.commands.items():
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option" and not (param.help or "").strip():
                missing.append(f"{name} {param.opts[0]}")
    assert not missing, missing


def test_an_unreadable_folder_is_not_called_empty(tmp_path, monkeypatch):
    from digitcam.scan import expand_inputs

    _png(tmp_path / "a.png")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode))
    items = list(expand_inputs([str(tmp_path)]))
    assert len(items) == 1 and "cannot read this folder" in items[0].error and "no images" not in items[0].error


def test_live_on_a_file_with_no_readable_frame_is_an_error(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    assert_one_line_error(run_cli("live", "--source", str(bad), "--no-show", "--jsonl"), 1, "no frame could be read")


def test_eval_negatives_that_do_not_exist(tmp_path):
    assert_one_line_error(run_cli("eval", "--negatives", str(tmp_path / "nosuch")), 2, "no such folder")


def test_bench_says_which_machine_and_whether_it_multiplies_int8_fast():
    """The model's speed differs several-fold between CPUs with and without int8 dot-product
    instructions, so the bench's figures name the machine they were measured on."""
    from digitcam.bench import describe, machine

    intel = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold\nflags\t\t: fpu avx2 fma avx512f avx512_vnni\n"
    amd = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx avx2 fma f16c\n"
    arm = "processor\t: 0\nFeatures\t: fp asimd asimddp crc32\n"
    assert machine(intel)["int8_dot_product"] is True and machine(intel)["cpu"] == "Intel(R) Xeon(R) Gold"
    assert machine(amd) == {"cpu": "AMD EPYC", "cores": machine(amd)["cores"], "int8_dot_product": False}
    assert machine(arm)["int8_dot_product"] is True
    assert machine("")["int8_dot_product"] is None and machine("")["cores"] >= 1
    assert describe(machine(amd)).endswith("cores, without int8 dot-product instructions")


def test_eval_reads_labelled_photos_resized_with_their_boxes(tmp_path, mnist_sample):
    """--resize: how steady the reading is from one camera to another. The photo and its boxes
    are scaled together, so a page read as well smaller or larger scores as well."""
    import json

    from digitcam.synth import render_scene

    x, y = mnist_sample
    scene = render_scene(x[:6], y[:6], np.random.default_rng(4), size=(480, 640), count=6, height=(50, 60))
    cv2.imwrite(str(tmp_path / "page.png"), scene.image)
    (tmp_path / "m.json").write_text(json.dumps([{"file": "page.png", "kind": "photo_paper",
                                                   "boxes": [[int(v) for v in b[:4]] + [int(b[4])] for b in scene.boxes]}]))
    for factor in ("1", "0.6", "1.5"):
        proc = run_cli("eval", "--labels", str(tmp_path / "m.json"), "--resize", factor, "--json", timeout=300)
        assert proc.returncode == 0, proc.stderr
        rep = json.loads(proc.stdout)
        assert rep["resize"] == float(factor)
        assert rep["per_image"][0]["correct"] >= 5 and rep["per_image"][0]["false_positives"] == 0, (factor, rep["per_image"])
    assert_one_line_error(run_cli("eval", "--labels", str(tmp_path / "m.json"), "--resize", "0"), 2, "--resize")


def test_eval_reads_labelled_photos_tilted_within_their_frame(tmp_path, mnist_sample):
    """--tilt: each photo turned within its own frame, as a camera turned against the page sees
    it; its boxes turn with it, and a digit the frame no longer holds whole counts neither way."""
    import json

    from digitcam.evaluate import tilted
    from digitcam.synth import render_scene

    x, y = mnist_sample
    scene = render_scene(x[:6], y[:6], np.random.default_rng(4), size=(480, 640), count=6, height=(50, 60))
    truth = np.array([b[:4] for b in scene.boxes], float)
    labels = np.array([b[4] for b in scene.boxes])
    image, boxes, kept = tilted(scene.image, np.vstack([truth, [[2, 2, 40, 40]]]), np.r_[labels, 7], 20.0)
    inside = kept[:-1] >= 0   # (a digit near the page's corner turns out of view too)
    assert image.shape == scene.image.shape and kept[-1] == -1 and inside.sum() >= 4
    assert (kept[:-1][inside] == labels[inside]).all()
    centres = truth[:, :2] + truth[:, 2:] / 2
    m = cv2.getRotationMatrix2D((320, 240), 20.0, 1.0)
    assert np.allclose(boxes[:-1, :2] + boxes[:-1, 2:] / 2, np.c_[centres, np.ones(6)] @ m.T, atol=1)
    assert (boxes[:-1, 2:] > truth[:, 2:]).all()   # (the upright bounds of the turned boxes)
    cv2.imwrite(str(tmp_path / "page.png"), scene.image)
    (tmp_path / "m.json").write_text(json.dumps([{"file": "page.png", "kind": "photo_paper",
                                                   "boxes": [[int(v) for v in b[:4]] + [int(b[4])] for b in scene.boxes]}]))
    proc = run_cli("eval", "--labels", str(tmp_path / "m.json"), "--tilt", "20", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    read = rep["per_image"][0]
    assert rep["tilt"] == 20.0 and read["digits"] == inside.sum() and read["correct"] >= read["digits"] - 1
    assert read["false_positives"] == 0
    assert_one_line_error(run_cli("eval", "--labels", str(tmp_path / "m.json"), "--tilt", "60"), 2, "--tilt")


def test_eval_takes_a_labelled_box_of_no_size_without_a_traceback(tmp_path, mnist_sample):
    """A manifest's box may be degenerate (0 x 0, a digit cut off by the frame's edge): it is
    scored like any other box (a miss), and its crop is blank, not a crash."""
    import json

    from digitcam.synth import render_scene

    x, y = mnist_sample
    scene = render_scene(x[:4], y[:4], np.random.default_rng(2), size=(480, 640), count=4, height=(50, 60))
    cv2.imwrite(str(tmp_path / "page.png"), scene.image)
    boxes = [[int(v) for v in b[:4]] + [int(b[4])] for b in scene.boxes] + [[600, 20, 0, 0, 1]]
    (tmp_path / "m.json").write_text(json.dumps([{"file": "page.png", "kind": "photo_paper", "boxes": boxes}]))
    proc = run_cli("eval", "--labels", str(tmp_path / "m.json"), "--json", timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    rep = json.loads(proc.stdout)
    assert rep["per_image"][0]["correct"] >= 3 and rep["per_image"][0]["digits"] == 5


@pytest.mark.parametrize("box", [[10, 10, 50, 50], [10, 10, 50, 50, "x"], [10, 10, 50, 50, 2.5], [10, 10, 50, 50, 12],
                                 [10, 10, float("inf"), 50, 1], [10, 10, 50, 50, float("nan")], 7, None])
def test_eval_names_a_malformed_box_in_one_line(tmp_path, box):
    import json

    cv2.imwrite(str(tmp_path / "page.png"), np.full((60, 80), 230, np.uint8))
    boxes = [box] if isinstance(box, list) else box
    (tmp_path / "m.json").write_text(json.dumps([{"file": "page.png", "boxes": boxes}]))
    proc = run_cli("eval", "--labels", str(tmp_path / "m.json"))
    assert_one_line_error(proc, 2, "page.png", "[x, y, w, h, label]")


def test_an_error_keeps_the_brackets_of_a_path(tmp_path):
    """Paths such as ``shots[red]/page[1].json`` are printed as they are, not taken for markup."""
    folder = tmp_path / "shots[red]"
    folder.mkdir()
    proc = run_cli("eval", "--labels", str(folder / "page[1].json"))
    assert_one_line_error(proc, 2, "shots[red]", "page[1].json")
    import json

    cv2.imwrite(str(folder / "p[red].png"), np.full((60, 80), 230, np.uint8))
    (folder / "m.json").write_text(json.dumps([{"file": "p[red].png", "kind": "k[bold]", "boxes": []}]))
    proc = run_cli("eval", "--labels", str(folder / "m.json"))
    assert proc.returncode == 0, proc.stderr
    assert "p[red].png" in proc.stdout and proc.stdout.count("k[bold]") == 2   # per photo and per kind


def test_eval_reads_labelled_photos_as_a_worse_camera_would_give_them(tmp_path, mnist_sample):
    """--blur, --jpeg and --motion: how the reading holds up out of focus, compressed as a webcam's
    stream is, and smeared by a page moving in front of the camera. The photo is really made worse (the report says how), a clear page still reads,
    and values outside their range are one-line errors."""
    import json

    from digitcam.evaluate import worse_camera
    from digitcam.synth import render_scene

    x, y = mnist_sample
    scene = render_scene(x[:6], y[:6], np.random.default_rng(4), size=(480, 640), count=6, height=(50, 60))
    image = scene.image
    assert worse_camera(image) is image
    blurred, squeezed = worse_camera(image, blur=2.0), worse_camera(image, jpeg=10)
    assert blurred.shape == squeezed.shape == image.shape and blurred.dtype == squeezed.dtype == np.uint8
    edges = lambda im: float(np.abs(np.diff(im.astype(np.float32), axis=1)).mean())  # noqa: E731
    assert edges(blurred) < 0.8 * edges(image)
    assert 0 < float(np.abs(squeezed.astype(np.float32) - image).mean()) < 10
    across = worse_camera(image, motion=9.0, angle=0.0)   # moved along x: steps along x soften far more than along y
    edges_y = lambda im: float(np.abs(np.diff(im.astype(np.float32), axis=0)).mean())  # noqa: E731
    assert edges(across) / edges(image) < 0.5 * edges_y(across) / edges_y(image)
    cv2.imwrite(str(tmp_path / "page.png"), image)
    (tmp_path / "m.json").write_text(json.dumps([{"file": "page.png", "kind": "photo_paper",
                                                   "boxes": [[int(v) for v in b[:4]] + [int(b[4])] for b in scene.boxes]}]))
    proc = run_cli("eval", "--labels", str(tmp_path / "m.json"), "--blur", "1", "--jpeg", "60", "--motion", "3", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    assert (rep["blur"], rep["jpeg"], rep["motion"]) == (1.0, 60, 3.0)
    assert rep["printed"].endswith("printed.tflite")   # the printed-digit reader beside the shipped model
    assert rep["per_image"][0]["correct"] >= 5 and rep["per_image"][0]["false_positives"] == 0, rep["per_image"]
    for args, needle in ((("--blur", "-1"), "--blur"), (("--blur", "11"), "--blur"), (("--jpeg", "101"), "--jpeg"),
                         (("--jpeg", "-5"), "--jpeg"), (("--motion", "31"), "--motion"), (("--motion", "-1"), "--motion")):
        assert_one_line_error(run_cli("eval", "--labels", str(tmp_path / "m.json"), *args), 2, needle)

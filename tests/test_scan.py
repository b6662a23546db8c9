"""``digitcam scan`` as a user runs it: outputs, exit codes and every kind of bad input."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import assert_one_line_error, run_cli
from digitcam.images import ImageError, read_image
from digitcam.synth import render_scene


@pytest.fixture(scope="module")
def photos(tmp_path_factory, mnist_sample):
    """A folder of three rendered pages (one in a sub-folder) with known numbers."""
    x, y = mnist_sample
    root = tmp_path_factory.mktemp("photos")
    (root / "sub").mkdir()
    rng = np.random.default_rng(1)
    truth = {}
    for _i, name in enumerate(["a.jpg", "b.png", "sub/c.jpg"]):
        idx = rng.choice(len(x), 4, replace=False)
        scene = render_scene(x[idx], y[idx], rng, size=(360, 480), count=4, height=(40, 56))
        cv2.imwrite(str(root / name), scene.image)
        truth[name] = scene
    return root, truth


def test_json_output_shape(photos):
    root, truth = photos
    proc = run_cli("scan", str(root), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [Path(d["file"]).name for d in data] == ["a.jpg", "b.png", "c.jpg"]
    for d in data:
        assert set(d) >= {"file", "width", "height", "digits", "numbers", "error"}
        assert d["error"] is None and (d["width"], d["height"]) == (480, 360)
        for digit in d["digits"]:
            assert set(digit) >= {"label", "confidence", "box"} and len(digit["box"]) == 4
            assert 0 <= digit["label"] <= 9 and 0 <= digit["confidence"] <= 1
        for n in d["numbers"]:
            assert set(n) >= {"text", "confidence", "box"} and n["text"].isdigit()
    found = sum(len(d["digits"]) for d in data)
    assert found >= 10, found  # 12 digits were written


def test_table_jsonl_csv_and_annotate(photos, tmp_path):
    root, _ = photos
    proc = run_cli("scan", str(root / "a.jpg"), str(root / "b.png"), "--csv", str(tmp_path / "d.csv"),
                   "--annotate", str(tmp_path / "ann"))
    assert proc.returncode == 0, proc.stderr
    assert "a.jpg" in proc.stdout and "b.png" in proc.stdout and "numbers" in proc.stdout
    assert "2 images" in proc.stderr and "images/s" in proc.stderr
    rows = list(csv.DictReader(open(tmp_path / "d.csv")))
    assert rows and set(rows[0]) == {"file", "number", "label", "confidence", "x", "y", "w", "h", "rotation"}
    annotated = sorted(p.name for p in (tmp_path / "ann").iterdir())
    assert annotated == ["a.png", "b.png"]
    original = cv2.imread(str(root / "a.jpg"))
    drawn = cv2.imread(str(tmp_path / "ann" / "a.png"))
    assert drawn.shape == original.shape and np.abs(drawn.astype(int) - original).sum() > 1000
    proc = run_cli("scan", str(root), "--jsonl", "--no-recursive")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [Path(d["file"]).name for d in lines] == ["a.jpg", "b.png"]


def test_glob_pattern(photos):
    root, _ = photos
    proc = run_cli("scan", str(root / "**" / "*.jpg"), "--json")
    assert sorted(Path(d["file"]).name for d in json.loads(proc.stdout)) == ["a.jpg", "c.jpg"]


def test_bad_inputs_are_reported_per_row_and_the_rest_is_read(photos, tmp_path):
    root, _ = photos
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("I am not a picture\n")
    jpg = (root / "a.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(jpg[: len(jpg) // 2])
    (tmp_path / "nothing").mkdir()
    good = str(root / "a.jpg")
    args = [str(tmp_path / "empty.png"), str(tmp_path / "text.png"), str(tmp_path / "cut.jpg"), str(tmp_path / "nothing"), good]
    proc = run_cli("scan", *args, "--json")
    assert_one_line_error(proc, 1)
    data = {Path(d["file"]).name: d for d in json.loads(proc.stdout)}
    assert "empty" in data["empty.png"]["error"]
    assert "not an image" in data["text.png"]["error"]
    assert "truncated" in data["cut.jpg"]["error"]
    assert "no images" in data["nothing"]["error"]
    assert data["a.jpg"]["error"] is None and data["a.jpg"]["digits"]
    for name in ("empty.png", "text.png", "cut.jpg"):
        assert data[name]["digits"] == [] and data[name]["numbers"] == []
    # the table shows the same errors in their rows, and still exits 1
    proc = run_cli("scan", *args)
    assert_one_line_error(proc, 1, "empty file", "truncated JPEG")


def test_nothing_to_read_is_one_line_an_input_not_a_table(tmp_path):
    """An empty folder, a missing file or a pattern that matches nothing, and nothing else: no
    table of error rows and no "1 image" count, a line naming the input and what is wrong."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("milk")
    proc = run_cli("scan", str(tmp_path / "empty"))
    assert_one_line_error(proc, 1, "empty: no images in this folder", "PNG, JPEG")
    assert proc.stdout == "" and "image" not in proc.stderr.split(":")[0]
    assert_one_line_error(run_cli("scan", str(tmp_path / "notes"), "--no-recursive"), 1, "try without --no-recursive")
    assert_one_line_error(run_cli("scan", str(tmp_path / "gone.jpg")), 2, "gone.jpg: no such file")
    assert_one_line_error(run_cli("scan", str(tmp_path / "*.jpg")), 1, "no files match")
    both = run_cli("scan", str(tmp_path / "empty"), str(tmp_path / "gone.jpg"))
    assert both.returncode == 2 and both.stdout == "" and len(both.stderr.splitlines()) == 2
    # scripts still get a record an input
    data = json.loads(run_cli("scan", str(tmp_path / "empty"), "--json").stdout)
    assert len(data) == 1 and "no images" in data[0]["error"]


def test_missing_path_is_a_usage_error_but_others_are_still_read(photos, tmp_path):
    root, _ = photos
    proc = run_cli("scan", str(tmp_path / "nope.jpg"), str(root / "a.jpg"), "--json")
    assert_one_line_error(proc, 2)
    data = json.loads(proc.stdout)
    assert data[0]["error"] == "no such file or folder" and data[1]["digits"]
    assert_one_line_error(run_cli("scan", "--bogus-option", str(root)), 2)
    assert_one_line_error(run_cli("scan", str(root), "--json", "--jsonl"), 2, "exclusive")


def test_permission_denied_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "locked.png"
    path.write_bytes(b"\x89PNG")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ImageError, match="permission denied"):
        read_image(path)


def test_huge_image_is_downscaled_not_fatal(tmp_path):
    big = np.full((20000, 20000), 235, np.uint8)
    cv2.putText(big, "7", (8000, 14000), cv2.FONT_HERSHEY_SIMPLEX, 120, 20, 400)
    cv2.imwrite(str(tmp_path / "huge.jpg"), big, [cv2.IMWRITE_JPEG_QUALITY, 50])
    del big
    image = read_image(tmp_path / "huge.jpg")
    assert max(image.shape[:2]) <= 10000
    proc = run_cli("scan", str(tmp_path / "huge.jpg"), "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)[0]
    assert d["error"] is None and d["width"] < 20000


def test_exif_orientation_alpha_and_sixteen_bit(tmp_path):
    from PIL import Image

    upright = np.full((300, 200, 3), 230, np.uint8)
    cv2.putText(upright, "7", (40, 250), cv2.FONT_HERSHEY_SIMPLEX, 7, (20, 20, 20), 18)
    # stored rotated, with an EXIF tag that says "rotate 90 degrees clockwise to display"
    stored = cv2.rotate(upright, cv2.ROTATE_90_COUNTERCLOCKWISE)
    img = Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = 6
    img.save(tmp_path / "phone.jpg", exif=exif)
    shown = read_image(tmp_path / "phone.jpg")
    assert shown.shape[:2] == (300, 200)
    # ink on a transparent layer is put on white paper
    rgba = np.zeros((300, 200, 4), np.uint8)
    cv2.putText(rgba, "7", (40, 250), cv2.FONT_HERSHEY_SIMPLEX, 7, (0, 0, 0, 255), 18)
    cv2.imwrite(str(tmp_path / "alpha.png"), rgba)
    a = read_image(tmp_path / "alpha.png")
    assert a.shape == (300, 200, 3) and a[5, 5].min() == 255 and a.min() == 0
    cv2.imwrite(str(tmp_path / "deep.png"), upright.astype(np.uint16) * 257)
    assert read_image(tmp_path / "deep.png").dtype == np.uint8
    proc = run_cli("scan", str(tmp_path), "--json")
    data = {Path(d["file"]).name: d for d in json.loads(proc.stdout)}
    for name in ("phone.jpg", "alpha.png", "deep.png"):
        assert [dd["label"] for dd in data[name]["digits"]] == [7], (name, data[name])
    assert (data["phone.jpg"]["width"], data["phone.jpg"]["height"]) == (200, 300)


def test_scan_does_not_import_tensorflow(photos):
    root, _ = photos
    code = ("import sys; from digitcam.cli import app\n"
            f"try:\n    app(['scan', {str(root / 'a.jpg')!r}, '--json', '--quiet'])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "assert 'tensorflow' not in sys.modules, 'scan imported TensorFlow'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["digits"]


def test_missing_and_corrupt_model(photos, tmp_path):
    root, _ = photos
    assert_one_line_error(run_cli("scan", str(root), "--model", str(tmp_path / "none.keras")), 2, "model not found")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"garbage")
    assert_one_line_error(run_cli("scan", str(root), "--model", str(bad)), 1, "cannot load model")


def test_a_small_lone_digit_is_a_speck_unless_asked_to_keep_it(tmp_path, mnist_sample, classifier):
    """engine.alone drops a digit under 3% of the photo's shorter side with no other digit near;
    --keep-lone shows it (a user who photographed one small digit on a large sheet)."""
    x, y = mnist_sample
    i = int(np.flatnonzero(classifier.predict(x / 255.0)[:, :10].argmax(1) == y)[3])
    page = np.full((1200, 1600), 228, np.uint8)
    digit = cv2.resize(255 - x[i], (28, 28), interpolation=cv2.INTER_CUBIC)   # 28 px: 2.3% of 1200
    page[600:628, 800:828] = np.minimum(page[600:628, 800:828], digit)
    cv2.imwrite(str(tmp_path / "one.png"), page)
    default = json.loads(run_cli("scan", str(tmp_path / "one.png"), "--json").stdout)[0]
    kept = json.loads(run_cli("scan", str(tmp_path / "one.png"), "--json", "--keep-lone").stdout)[0]
    assert default["digits"] == []
    assert [d["label"] for d in kept["digits"]] == [int(y[i])], kept


def test_printed_digits_are_read_unless_handwriting_only_is_asked(tmp_path):
    """A sudoku printed in a bold face: its 1s with a foot and heavy 9s are the printed-digit
    reader's (engine.printed); `--handwritten-only` reads with the model alone, and reads fewer."""
    import cv2

    from digitcam.synth import typeset_sudoku

    rng = np.random.default_rng(5)
    cv2.imwrite(str(tmp_path / "sudoku.png"), typeset_sudoku(rng, "DejaVuSans-Bold.ttf", clues=30).image)
    truth = sorted(b[4] for b in typeset_sudoku(np.random.default_rng(5), "DejaVuSans-Bold.ttf", clues=30).boxes)
    read = {}
    for flag in ("--printed", "--handwritten-only"):
        proc = run_cli("scan", str(tmp_path / "sudoku.png"), "--json", flag)
        assert proc.returncode == 0, proc.stderr
        read[flag] = sorted(d["label"] for d in json.loads(proc.stdout)[0]["digits"])
    assert read["--printed"] == truth
    assert len(read["--handwritten-only"]) < len(truth)

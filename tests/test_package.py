"""The package as a user gets it: a fast CLI and a wheel that carries the shipped model."""

import subprocess
import sys
import zipfile

from conftest import ROOT, assert_one_line_error, run_cli
from digitcam import __version__


def test_version_and_help_answer_without_tensorflow():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"digitcam {__version__}"
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("live", "scan", "draw", "train", "eval", "bench"):
        assert command in proc.stdout
    code = ("import sys\nfrom digitcam.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n")
    check = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_every_help_reads_in_80_columns():
    """--help teaches in a plain 80-column terminal: each option's line starts with its name and
    its text is not squeezed into a narrow column between boxes (rich's panels gave options a
    20-character column beside a column of types at 80 columns)."""
    for command in ("", "scan", "live", "draw", "train", "eval", "bench"):
        proc = run_cli(*([command] if command else []), "--help", env={"COLUMNS": "80"})
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert lines[0].startswith("Usage: ") and "digitcam" in lines[0], lines[0]
        assert all(len(line) <= 80 for line in lines), max(lines, key=len)
        assert not any(ch in proc.stdout for ch in "│╭╰─"), command
        if command:
            assert any(line.startswith("  -h, --help") for line in lines), command


def test_wheel_carries_the_model_and_the_training_pipeline(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path), "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("digitcam-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("digitcam/model/mnist_cnn.keras", "digitcam/model/mnist_cnn.tflite", "digitcam/model/mnist_cnn.card.json",
                 "digitcam/train/pipeline.py", "digitcam/cli.py"):
        assert name in names, name


def test_eval_names_an_unreadable_labelled_image(tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text('[{"file": "gone.jpg", "boxes": [[0, 0, 5, 5, 1]]}]')
    proc = run_cli("eval", "--labels", str(labels))
    assert_one_line_error(proc, 1, "gone.jpg", "no such file")

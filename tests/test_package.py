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

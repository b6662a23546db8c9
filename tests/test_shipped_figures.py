"""The figures the README quotes, re-measured on the data this project may not ship.

They need the full MNIST and the labelled real photos in ../shared (present in this project's
CI); elsewhere they are skipped.
"""

import json

import pytest

from conftest import FULL_MNIST, ROOT, run_cli

PHOTOS = ROOT.parent / "shared" / "realdigits" / "manifest.json"


@pytest.mark.skipif(not FULL_MNIST.exists(), reason="full MNIST not at ../shared/data/mnist.npz")
def test_shipped_model_on_the_full_mnist_test_set(tmp_path):
    proc = run_cli("eval", "--data", str(FULL_MNIST), "--json", "--errors", str(tmp_path / "errors.png"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["count"] == 10000
    assert report["accuracy"] >= 0.995, report["accuracy"]
    assert (tmp_path / "errors.png").stat().st_size > 0


@pytest.mark.skipif(not PHOTOS.exists(), reason="labelled photos not at ../shared/realdigits")
def test_engine_on_the_labelled_real_photos():
    proc = run_cli("eval", "--labels", str(PHOTOS), "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["images"] == 26 and r["digits"] >= 80
    assert r["detection_recall"] >= 0.97, r
    assert r["precision"] >= 0.95 and r["recall"] >= 0.95, r
    assert r["false_positives_per_image"] <= 0.1, r
    assert r["crop_accuracy"] >= 0.97, r
    assert r["false_positives_per_digit_free_image"] <= 0.1, r

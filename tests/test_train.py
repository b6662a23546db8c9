"""A short real training run on a small subset: saves, reloads, evaluates; interrupt and resume."""

import json

import numpy as np
import pytest

from conftest import assert_one_line_error, run_cli
from digitcam.errors import DigitcamError
from digitcam.runtime import load_classifier
from digitcam.train import pipeline
from digitcam.train.augment import AugmentConfig
from digitcam.train.card import card_paths, validate_card
from digitcam.train.pipeline import TrainConfig, train


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory, mnist_sample):
    x, y = mnist_sample
    path = tmp_path_factory.mktemp("data") / "mnist.npz"
    np.savez(path, x_train=x[:400], y_train=y[:400].astype(np.uint8), x_test=x[400:], y_test=y[400:].astype(np.uint8))
    return path


def quick(output, data, **kw) -> TrainConfig:
    return TrainConfig(output=output, data=str(data), epochs=kw.pop("epochs", 2), batch_size=32,
                       augment=AugmentConfig(scenes=10, max_negatives_per_scene=10), **kw)


def test_short_training_saves_reloads_and_evaluates(tmp_path, small_npz):
    out = tmp_path / "m.keras"
    card = train(quick(out, small_npz))
    paths = card_paths(out)
    for p in (out, paths["tflite"], paths["card"], paths["curves"], paths["confusion"]):
        assert p.exists() and p.stat().st_size > 0, p
    assert validate_card(json.loads(paths["card"].read_text())) == []
    assert card["epochs"] == 2 and card["dataset"]["sha256"] and card["parameters"] > 10_000
    assert len(card["history"]["loss"]) == 2
    assert not (tmp_path / ".m.run").exists(), "checkpoints are cleaned up after a finished run"
    # reload both runtimes and check they agree and reproduce the card's accuracy
    with np.load(small_npz) as f:
        x, y = f["x_test"], f["y_test"]
    tf_clf = load_classifier(out, runtime="tensorflow")
    lite = load_classifier(out, runtime="litert")
    a = tf_clf.predict(x / 255.0)[:, :10].argmax(1)
    b = lite.predict(x / 255.0)[:, :10].argmax(1)
    # the LiteRT file is int8: a barely trained model's many near ties can flip (the shipped
    # model's runtimes agree on 63 of 64 digits or more: test_runtime), its accuracy cannot move much
    assert (a == b).mean() >= 0.5 and abs((a == y).mean() - (b == y).mean()) <= 0.15
    assert abs((a == y).mean() - card["test_accuracy"]) < 1e-6
    # two short epochs on 400 digits: it learns (batch-norm statistics are far from settled, so
    # the test accuracy is only asked to beat chance)
    assert card["history"]["loss"][1] < card["history"]["loss"][0]
    assert card["test_accuracy"] > 0.15


def test_output_is_never_silently_overwritten(tmp_path, small_npz):
    out = tmp_path / "m.keras"
    out.write_bytes(b"precious")
    with pytest.raises(DigitcamError, match="--force"):
        train(quick(out, small_npz))
    assert out.read_bytes() == b"precious"
    from digitcam.model import DEFAULT_MODEL

    with pytest.raises(DigitcamError, match="shipped default"):
        train(quick(DEFAULT_MODEL, small_npz))


def test_interrupt_keeps_a_checkpoint_and_resume_finishes(tmp_path, small_npz, monkeypatch):
    import keras

    out = tmp_path / "m.keras"
    original = pipeline._callbacks

    class CtrlC(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_callbacks", lambda *a: original(*a) + [CtrlC()])
    with pytest.raises(DigitcamError) as info:
        train(quick(out, small_npz, epochs=3))
    assert info.value.exit_code == 130
    assert "--resume" in str(info.value) and "epoch 1" in str(info.value)
    assert (tmp_path / ".m.run" / "checkpoint.keras").exists()
    assert not out.exists(), "an interrupted run must not leave a half-written model"
    monkeypatch.setattr(pipeline, "_callbacks", original)
    card = train(quick(out, small_npz, epochs=1, resume=True))  # the interrupted run's 3 epochs win
    assert card["epochs"] == 3 and len(card["history"]["loss"]) == 3
    assert out.exists()


def test_resume_without_checkpoint_is_a_usage_error(tmp_path, small_npz):
    with pytest.raises(DigitcamError, match="nothing to resume"):
        train(quick(tmp_path / "m.keras", small_npz, resume=True))


def test_train_cli_help_and_bad_data(tmp_path):
    proc = run_cli("train", "--help")
    assert proc.returncode == 0 and "--resume" in proc.stdout and "--data" in proc.stdout
    proc = run_cli("train", "--data", str(tmp_path / "missing.npz"), "--output", str(tmp_path / "x.keras"))
    assert_one_line_error(proc, 1, "MNIST data not found", "--data")
    proc = run_cli("train", "--extra-digits", str(tmp_path / "usps.npz"), "--output", str(tmp_path / "x.keras"))
    assert_one_line_error(proc, 2, "USPS digits not found", "--extra-digits")
    assert not (tmp_path / "x.keras").exists()


def test_extra_usps_digits_join_the_training_digits(tmp_path, small_npz, mnist_sample):
    from rich.console import Console

    from test_data import _usps_like

    x16, y16 = _usps_like(mnist_sample, 40)
    usps = tmp_path / "usps_train.npz"
    np.savez(usps, x_train=x16, y_train=y16)
    console = Console(record=True, width=200)
    base = pipeline.build_datasets(quick(tmp_path / "a.keras", small_npz), Console(record=True, width=200))
    more = pipeline.build_datasets(quick(tmp_path / "b.keras", small_npz, extra_digits=str(usps)), console)
    assert "367 MNIST and 40 USPS digits" in console.export_text()   # 400 less 1/12 for validation
    assert len(more[2][1]) == len(base[2][1])         # validation stays MNIST's own


def test_negatives_help_does_not_write_a_folder(tmp_path, monkeypatch, capsys):
    """`python -m digitcam.train.negatives --help` teaches; it once wrote 22 images to ./--help."""
    from digitcam.train.negatives import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0 and "digit-free" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def test_the_backdrop_photos_are_the_same_in_every_process():
    """Scenes are rendered in worker processes from fixed seeds; a backdrop drawn anew in each
    (scikit-image's binary_blobs, unseeded) made training runs differ from one run to the next."""
    import hashlib
    import subprocess
    import sys

    from digitcam.train.scenes import _photos

    code = "import hashlib; from digitcam.train.scenes import _photos; print([hashlib.md5(p.tobytes()).hexdigest() for p in _photos()])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == str([hashlib.md5(p.tobytes()).hexdigest() for p in _photos()])


def test_prefilter_fit_refuses_a_missing_card_or_data_at_once(tmp_path, capsys):
    """Both are read before minutes of rendering scenes; one line, exit 2, no traceback."""
    from digitcam.train.prefilter import main

    assert main(["--card", str(tmp_path / "nosuch.card.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read the card" in err
    card = tmp_path / "m.card.json"
    card.write_text("{}")
    assert main(["--card", str(card), "--data", str(tmp_path / "nosuch.npz")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--data" in err and card.read_text() == "{}"

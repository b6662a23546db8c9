"""A short real training run on a small subset: saves, reloads, evaluates; interrupt and resume."""

import json

import cv2
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


def test_held_up_frames_are_written_with_a_manifest_that_eval_reads(tmp_path, small_npz, capsys):
    """`python -m digitcam.train.heldup DIR --data mnist.npz` writes frames of pages held up in
    front of floorboards or fabric, and their manifest in the dev set's layout, one kind per
    paper; `digitcam eval --labels` reads them (as a webcam would give them with --blur and
    --jpeg). The same seed writes the same frames; bad sizes are one-line usage errors."""
    from digitcam.train.heldup import main

    out = tmp_path / "frames"
    assert main([str(out), "--data", str(small_npz), "--frames", "3", "--size", "960x540"]) == 0
    assert "digitcam eval --labels" in capsys.readouterr().out
    entries = json.loads((out / "manifest.json").read_text())
    assert [e["kind"] for e in entries] == ["held_up_plain", "held_up_ruled", "held_up_squared"]
    for e in entries:
        image = cv2.imread(str(out / e["file"]))
        assert image.shape == (540, 960, 3) and len(e["boxes"]) == 24 and len(e["digits"]) == 24
        assert all(0 <= x and 0 <= y and x + w <= 960 and y + h <= 540 for x, y, w, h, _ in e["boxes"])
    again = tmp_path / "again"
    assert main([str(again), "--data", str(small_npz), "--frames", "1", "--size", "960x540"]) == 0
    assert (again / entries[0]["file"]).read_bytes() == (out / entries[0]["file"]).read_bytes()
    proc = run_cli("eval", "--labels", str(out / "manifest.json"), "--blur", "0.5", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(proc.stdout)
    kinds = rep["kinds"]
    assert set(kinds) == {"held_up_plain", "held_up_ruled", "held_up_squared"}
    assert rep["recall"] >= 0.9 and rep["false_positives_per_image"] <= 1, kinds
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path / "bad"), "--size", "640"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "WIDTHxHEIGHT" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "bad").exists()
    before = (out / "manifest.json").read_bytes()         # an earlier run's manifest is kept ...
    assert main([str(out), "--data", str(small_npz), "--frames", "1"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and len(err.strip().splitlines()) == 1 and (out / "manifest.json").read_bytes() == before
    assert main([str(out), "--data", str(small_npz), "--frames", "1", "--force"]) == 0   # ... unless asked
    turned = tmp_path / "turned"     # pages held turned, in front of a bright wall
    assert main([str(turned), "--data", str(small_npz), "--frames", "1", "--lean", "20", "--backdrop", "wall"]) == 0
    image = cv2.imread(str(turned / json.loads((turned / "manifest.json").read_text())[0]["file"]))
    assert image.shape == (720, 1280, 3) and np.median(image) > 200   # the wall is brighter than most paper
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path / "bad"), "--lean", "60"])
    assert e.value.code == 2 and "--lean" in capsys.readouterr().err
    flat = tmp_path / "flat"         # a sheet lying on the desk: its digits foreshortened
    assert main([str(flat), "--data", str(small_npz), "--frames", "1", "--recline", "60"]) == 0
    lying = json.loads((flat / "manifest.json").read_text())[0]["boxes"]
    upright = [b for e in entries for b in e["boxes"]]
    assert np.median([h / w for _, _, w, h, _ in lying]) < 0.75 * np.median([h / w for _, _, w, h, _ in upright])
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path / "bad"), "--recline", "95"])
    assert e.value.code == 2 and "--recline" in capsys.readouterr().err
    off = tmp_path / "off"           # a larger sheet lower down: its near edge out of view, its digits there unlabelled
    assert main([str(off), "--data", str(small_npz), "--frames", "2", "--recline", "60", "--lower", "0.3",
                 "--fill", "0.9,1.05"]) == 0
    for e in json.loads((off / "manifest.json").read_text()):
        image = cv2.imread(str(off / e["file"]))
        assert 0 < len(e["boxes"]) <= 24 and np.median(image[-1, 400:880]) > 180   # the sheet runs off the bottom
        assert all(0 <= x and 0 <= y and x + w <= 1280 and y + h <= 720 for x, y, w, h, _ in e["boxes"])
    for bad in (["--fill", "1.2,0.9"], ["--lower", "0.9"]):
        with pytest.raises(SystemExit) as e:
            main([str(tmp_path / "bad"), *bad])
        assert e.value.code == 2 and bad[0] in capsys.readouterr().err


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


def _backdrop_folder(path, n: int = 3):
    """A folder of digit-free 'photographs': smooth colour fields with blobs, and a non-image file."""
    import cv2

    path.mkdir()
    rng = np.random.default_rng(4)
    for k in range(n):
        im = cv2.GaussianBlur(rng.uniform(0, 255, (300, 400, 3)).astype(np.uint8), (0, 0), 12)
        cv2.circle(im, (int(rng.integers(50, 350)), 150), 40, (20, 200, 90), -1)
        cv2.imwrite(str(path / f"p{k}.jpg"), im)
    (path / "notes.txt").write_text("not a picture")
    return path


def test_world_frames_are_the_backdrop_photographs_and_every_hypothesis_is_not_a_digit(tmp_path, small_npz):
    """`--backdrops DIR`: frames of DIR's photographs alone join the training samples, all "not a digit"."""
    from functools import partial

    from digitcam.train.model import NOT_A_DIGIT
    from digitcam.train.scenes import load_backdrops, map_scenes, scene_samples

    folder = _backdrop_folder(tmp_path / "photos")
    assert len(load_backdrops(str(folder))) == 3              # the text file is skipped
    with np.load(small_npz) as f:
        x, y = f["x_train"], f["y_train"].astype(np.int32)
    d, c, lab = map_scenes(partial(scene_samples, max_negatives=20), x, y, 6, 3, workers=1, chunk=3,
                           backdrops=str(folder), world=True)
    assert len(lab) > 0 and (lab == NOT_A_DIGIT).all()
    assert d.shape[1:] == (28, 28) and c.shape[1:] == (32, 32)


def test_fine_tuning_starts_from_a_model_keeps_its_prefilter_and_records_both(tmp_path, small_npz):
    first = tmp_path / "first.keras"
    train(quick(first, small_npz, epochs=1))
    folder = _backdrop_folder(tmp_path / "photos")
    out = tmp_path / "tuned.keras"
    cfg = quick(out, small_npz, epochs=1, init=str(first), backdrops=str(folder))
    cfg.augment = AugmentConfig(scenes=6, max_negatives_per_scene=10, world_scenes=4)
    card = train(cfg)
    old = json.loads(card_paths(first)["card"].read_text())
    assert card["prefilter"] == old["prefilter"]              # the engine's hypotheses are unchanged
    assert card["fine_tuned_from"]["model"] == "first.keras" and len(card["fine_tuned_from"]["sha256"]) == 64
    assert card["dataset"]["backdrops"]["photographs"] == 3
    assert card["augmentation"]["world_scenes"] == 4
    assert validate_card(json.loads(card_paths(out)["card"].read_text())) == []
    # it started from the first model's weights: one more epoch does not undo what the first learned
    with np.load(small_npz) as f:
        x, y = f["x_test"], f["y_test"]
    acc = (load_classifier(out, runtime="tensorflow").predict(x / 255.0)[:, :10].argmax(1) == y).mean()
    assert acc >= old["test_accuracy"] - 0.1


def test_fine_tune_and_backdrops_refuse_what_is_missing_at_once(tmp_path, small_npz):
    proc = run_cli("train", "--init", str(tmp_path / "none.keras"), "--output", str(tmp_path / "x.keras"))
    assert_one_line_error(proc, 2, "no model to fine-tune", "--init")
    (tmp_path / "bare.keras").write_bytes(b"a model without its card")
    proc = run_cli("train", "--init", str(tmp_path / "bare.keras"), "--output", str(tmp_path / "x.keras"))
    assert_one_line_error(proc, 2, "no card with a prefilter", "fine-tune")
    (tmp_path / "empty").mkdir()
    proc = run_cli("train", "--backdrops", str(tmp_path / "empty"), "--output", str(tmp_path / "x.keras"))
    assert_one_line_error(proc, 2, "no photographs in", "--backdrops")
    assert not (tmp_path / "x.keras").exists()


def test_the_photo_set_is_split_by_name_and_leaves_out_text_and_plain_pictures(tmp_path):
    """`python -m digitcam.train.photos` (its apt-get part needs the network; the rest here)."""
    import cv2

    from digitcam.train import photos

    src = tmp_path / "root" / "usr" / "share" / "backgrounds"
    src.mkdir(parents=True)
    rng = np.random.default_rng(0)
    busy = rng.integers(0, 255, (2000, 3000, 3)).astype(np.uint8)
    for name in ("Blinds", "Dune", "focal-ubuntukylin"):           # held out, train, left out (text)
        cv2.imwrite(str(src / f"{name}.png"), busy)
    cv2.imwrite(str(src / "plain.png"), np.full((100, 100, 3), 80, np.uint8))
    counts = photos.write(photos.pictures(tmp_path / "root"), tmp_path / "out")
    assert counts == {"train": 1, "held_out": 1}
    assert [p.name for p in (tmp_path / "out" / "held_out").iterdir()] == ["Blinds.jpg"]
    kept = cv2.imread(str(tmp_path / "out" / "train" / "Dune.jpg"))
    assert max(kept.shape[:2]) == photos.SIDE
    assert photos.main([]) == 2 and photos.main(["--help"]) == 2


def test_the_fresh_digit_free_set_keeps_one_picture_a_wallpaper(tmp_path):
    """`python -m digitcam.train.photos DIR --fresh` (its apt-get part needs the network)."""
    import cv2

    from digitcam.train import photos

    root = tmp_path / "root" / "usr" / "share"
    kde = root / "wallpapers" / "Kite" / "contents" / "images"
    kde.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for w, h in ((640, 480), (1920, 1080)):                 # one wallpaper in two sizes, and its screenshot
        cv2.imwrite(str(kde / f"{w}x{h}.jpg"), rng.integers(0, 255, (h, w, 3)).astype(np.uint8))
    cv2.imwrite(str(root / "wallpapers" / "Kite" / "contents" / "screenshot.png"), rng.integers(0, 255, (50, 80, 3)).astype(np.uint8))
    sway = root / "backgrounds" / "sway"
    sway.mkdir(parents=True)
    for name, (w, h) in (("Sway_Blue_1366x768", (1366, 768)), ("Sway_Blue_768x1024_Portrait", (768, 1024))):
        cv2.imwrite(str(sway / f"{name}.png"), rng.integers(0, 255, (h, w, 3)).astype(np.uint8))
    paper = root / "mypaint" / "backgrounds" / "ramon"
    paper.mkdir(parents=True)
    cv2.imwrite(str(paper / "HR Cork.png"), rng.integers(0, 255, (300, 300, 3)).astype(np.uint8))
    files = sorted(p for p in (tmp_path / "root").rglob("*") if p.is_file())
    assert [p.name for p in photos.largest_each(files)] == ["HR Cork.png", "1920x1080.jpg", "Sway_Blue_1366x768.png"]
    assert photos.write_fresh(files, tmp_path / "out") == 3
    assert sorted(p.name for p in (tmp_path / "out" / "fresh").iterdir()) == ["HR_Cork.jpg", "Kite.jpg", "Sway_Blue_1366x768.jpg"]


def test_an_ensemble_serves_the_mean_of_its_members_in_one_call_and_fine_tunes(tmp_path, small_npz):
    import keras

    from digitcam.train import ensemble
    from digitcam.train.model import members_of

    a, b = tmp_path / "a.keras", tmp_path / "b.keras"
    train(quick(a, small_npz, epochs=1))
    train(quick(b, small_npz, epochs=1, seed=1))
    out = tmp_path / "ens.keras"
    assert ensemble.main([str(a), str(b), "--output", str(out), "--data", str(small_npz), "--scenes", "2"]) == 0
    card = json.loads(card_paths(out)["card"].read_text())
    assert validate_card(card) == [] and [m["model"] for m in card["members"]] == ["a.keras", "b.keras"]
    assert card["prefilter"] == json.loads(card_paths(a)["card"].read_text())["prefilter"]
    assert card_paths(out)["curves"].exists() and card_paths(out)["tflite"].exists()
    with np.load(small_npz) as f:
        x = f["x_test"][:64] / 255.0
    ha, hb = (load_classifier(p, runtime="tensorflow").heads(x) for p in (a, b))
    served = load_classifier(out, runtime="tensorflow")
    he = served.heads(x)
    for head in ("context", "crop"):   # each head is the members' mean, not the mean of the two heads
        assert np.allclose(he[head], (ha[head] + hb[head]) / 2, atol=1e-5), head
    assert served.num_classes == 11
    lite = load_classifier(out, runtime="litert")   # one int8 graph: the same readings, mostly
    assert (lite.predict(x).argmax(1) == served.predict(x).argmax(1)).mean() >= 0.5
    # fine-tuning an ensemble tunes every member and serves them as before
    tuned = tmp_path / "tuned.keras"
    tcard = train(quick(tuned, small_npz, epochs=1, init=str(out)))
    assert tcard["prefilter"] == card["prefilter"]
    assert len(members_of(keras.models.load_model(tuned, safe_mode=True))) == 2
    assert load_classifier(tuned, runtime="litert").predict(x).shape == (64, 11)
    # what it refuses, in one line
    assert ensemble.main([str(a), "--output", str(tmp_path / "one.keras")]) == 2
    assert ensemble.main([str(a), str(tmp_path / "none.keras"), "--output", str(tmp_path / "x.keras")]) == 2
    assert ensemble.main([str(a), str(b), "--output", str(out)]) == 2   # exists, no --force
    assert ensemble.main([str(a), str(b), "--output", str(tmp_path / "y.keras"), "--data", str(tmp_path / "none.npz")]) == 2
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a model")
    assert ensemble.main([str(a), str(junk), "--output", str(tmp_path / "x.keras")]) == 2
    assert not (tmp_path / "x.keras").exists()


def test_the_printed_reader_trains_exports_and_is_heard_beside_its_model(tmp_path, small_npz, capsys):
    """`python -m digitcam.train.printed` writes the reader, its LiteRT file and its card; a model
    folder that holds it has the engine ask it (engine.printed), one without does not."""
    import shutil

    from digitcam.engine import Recognizer
    from digitcam.model import DEFAULT_MODEL
    from digitcam.train.printed import main

    out = tmp_path / "m"
    assert main(["--data", str(small_npz), "--out", str(out), "--printed-scenes", "12", "--scenes", "10", "--epochs", "1"]) == 0
    card = json.loads((out / "printed.card.json").read_text())
    assert card["held_out"]["digits"] > 0 and card["training_crops"] > 0 and card["held_out"]["crops"] > 0
    assert load_classifier(out / "printed.tflite").heads(np.zeros((3, 28, 28), np.float32))["crop"].shape == (3, 11)
    shutil.copy(DEFAULT_MODEL.with_suffix(".tflite"), out / "cnn.tflite")
    assert Recognizer(load_classifier(out / "cnn.tflite"), gate=None).printed is not None
    shutil.copy(DEFAULT_MODEL, out / "cnn.keras")   # TensorFlow's reader is as safe to share between threads as its model
    assert Recognizer(load_classifier(out / "cnn.keras", "tensorflow"), gate=None).printed.runtime == "tensorflow"
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(DEFAULT_MODEL.with_suffix(".tflite"), alone / "cnn.tflite")
    assert Recognizer(load_classifier(alone / "cnn.tflite"), gate=None).printed is None


def test_the_printed_reader_refuses_bad_arguments_in_one_line(tmp_path, capsys):
    from digitcam.train.printed import main

    assert main(["--data", str(tmp_path / "nosuch.npz"), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nosuch.npz" in err
    assert main(["--data", str(tmp_path / "nosuch.npz"), "--printed-scenes", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--printed-scenes" in err


def test_pages_printed_all_through_print_every_digit_and_some_words():
    """The printed reader's scenes: every true digit is printed (a TrueType face or a Hershey
    font, so its ink is even: no MNIST digit), and printed letters are among them."""
    from digitcam.train.scenes import _flagged_one, _typed

    rng = np.random.default_rng(0)
    ink = _typed("7", 40, rng)
    assert ink.shape[0] == 40 and 0.05 < ink.mean() < 0.6
    assert _typed("Ab", 30, rng).shape[1] > _typed("A", 30, rng).shape[1]
    one = _flagged_one(40, rng)   # Helvetica's 1: a bar and a flag, no foot
    assert one.shape[0] == 40 and one.shape[1] < 40 and one.max() > 0.9
    assert np.ptp(np.flatnonzero(one[-3:].sum(axis=0) > 0.5)) < one.shape[1] * 0.6   # its foot is the bar alone

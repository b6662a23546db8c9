"""The shipped model, its two runtimes, and what happens with bad model files."""

import json

import numpy as np
import pytest

from digitcam.errors import DigitcamError
from digitcam.model import DEFAULT_MODEL
from digitcam.runtime import litert_available, load_classifier
from digitcam.train.card import card_paths, validate_card


def test_shipped_model_files_and_card_are_there():
    paths = card_paths(DEFAULT_MODEL)
    assert DEFAULT_MODEL.exists() and paths["tflite"].exists()
    card = json.loads(paths["card"].read_text())
    assert validate_card(card) == []
    assert card["test_accuracy"] >= 0.995
    assert paths["curves"].exists() and paths["confusion"].exists()


def test_shipped_model_reads_the_mnist_fixture(classifier, mnist_sample):
    x, y = mnist_sample
    probs = classifier.predict(x.astype(np.float32) / 255.0)
    assert probs.shape[1] >= 10
    assert (probs[:, :10].argmax(axis=1) == y).mean() >= 0.99


def test_runtimes_agree(mnist_sample):
    assert litert_available(), "ai-edge-litert should install on this platform"
    x, _ = mnist_sample
    batch = x[:64].astype(np.float32) / 255.0
    lite = load_classifier(runtime="litert")
    tf = load_classifier(runtime="tensorflow")
    assert (lite.runtime, tf.runtime) == ("litert", "tensorflow")
    a, b = lite.predict(batch), tf.predict(batch)
    assert a.shape == b.shape
    # the LiteRT file is quantised to int8: the same readings, probabilities within a few percent
    assert (a.argmax(axis=1) == b.argmax(axis=1)).mean() >= 63 / 64
    assert np.abs(a - b).mean() < 0.01
    # odd batch sizes (padded to a power of two inside) and the empty batch
    for n in (1, 3, 17, 0):
        assert lite.predict(batch[:n]).shape == (n, a.shape[1])


def test_missing_model_is_a_clean_error(tmp_path):
    with pytest.raises(DigitcamError, match="not found"):
        load_classifier(tmp_path / "nope.keras")


@pytest.mark.parametrize("content", [b"", b"this is not a model at all"])
def test_corrupt_model_is_a_clean_error(tmp_path, content):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(content)
    with pytest.raises(DigitcamError, match="model"):
        load_classifier(bad)


def test_corrupt_tflite_is_a_clean_error(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(DigitcamError):
        load_classifier(bad)


def test_unknown_runtime_is_a_usage_error():
    with pytest.raises(DigitcamError) as info:
        load_classifier(runtime="onnx")
    assert info.value.exit_code == 2

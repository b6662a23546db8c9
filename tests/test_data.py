import gzip
from pathlib import Path

import numpy as np
import pytest

from digitcam.data import ENV_VAR, load_file, load_mnist, read_idx, resolve_path
from digitcam.errors import DigitcamError


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)


@pytest.fixture
def tiny(mnist_sample):
    x, y = mnist_sample
    return x[:300], y[:300], x[300:], y[300:]


@pytest.fixture
def npz_file(tmp_path, tiny):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=tiny[0], y_train=tiny[1].astype(np.uint8), x_test=tiny[2], y_test=tiny[3].astype(np.uint8))
    return path


def test_npz_loads_with_int32_labels(npz_file, tiny):
    m = load_file(npz_file)
    assert m.x_train.shape == (300, 28, 28) and m.x_train.dtype == np.uint8
    assert m.y_train.dtype == np.int32 and (m.y_test == tiny[3]).all()
    assert len(m.sha256) == 64


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_plain_and_gzipped(tmp_path, tiny, gz):
    names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    for name, arr in zip(names, tiny):
        write_idx(tmp_path / name, arr, gz)
    m = load_file(tmp_path)
    assert (m.x_train == tiny[0]).all() and (m.y_test == tiny[3]).all()


def test_missing_file_says_how_to_pass_data(tmp_path):
    with pytest.raises(DigitcamError, match="--data"):
        load_file(tmp_path / "nope.npz")


def test_corrupt_npz_is_a_clean_error(tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(DigitcamError, match="cannot read MNIST"):
        load_file(bad)


def test_npz_without_the_right_arrays(tmp_path):
    bad = tmp_path / "other.npz"
    np.savez(bad, a=np.zeros(3))
    with pytest.raises(DigitcamError, match="x_train"):
        load_file(bad)


def test_truncated_and_foreign_idx_files(tmp_path, tiny):
    write_idx(tmp_path / "t.idx", tiny[0])
    data = (tmp_path / "t.idx").read_bytes()
    (tmp_path / "t.idx").write_bytes(data[:1000])
    with pytest.raises(DigitcamError, match="truncated"):
        read_idx(tmp_path / "t.idx")
    (tmp_path / "u.idx").write_bytes(b"hello world, not idx")
    with pytest.raises(DigitcamError, match="not an IDX"):
        read_idx(tmp_path / "u.idx")


def test_idx_folder_missing_a_file(tmp_path, tiny):
    write_idx(tmp_path / "train-images-idx3-ubyte", tiny[0])
    with pytest.raises(DigitcamError, match="train-labels"):
        load_file(tmp_path)


def test_resolution_order(tmp_path, monkeypatch, npz_file):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_path(None) is None  # nothing anywhere: Keras' download would be next
    cache = tmp_path / ".keras" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(npz_file.read_bytes())
    assert resolve_path(None) == cache
    monkeypatch.setenv(ENV_VAR, str(npz_file))
    assert resolve_path(None) == npz_file
    assert resolve_path(str(tmp_path / "explicit.npz")) == tmp_path / "explicit.npz"
    assert load_mnist().source == str(npz_file)


def test_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    import keras.datasets.mnist as kmnist

    def offline(*a, **k):
        raise OSError("no network")

    monkeypatch.setattr(kmnist, "load_data", offline)
    with pytest.raises(DigitcamError) as info:
        load_mnist()
    msg = str(info.value)
    assert "--data" in msg and ENV_VAR in msg and ".keras/datasets/mnist.npz" in msg


def _usps_like(mnist_sample, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """USPS's layout: 16x16, ink bright on dark, each digit filling its box."""
    import cv2

    x, y = mnist_sample
    out = []
    for d in x[:n]:
        ys, xs = np.nonzero(d > 30)
        out.append(cv2.resize(d[ys.min():ys.max() + 1, xs.min():xs.max() + 1], (16, 16), interpolation=cv2.INTER_AREA))
    return np.stack(out).astype(np.uint8), y[:n].astype(np.uint8)


def test_usps_digits_become_mnist_like_and_readable(tmp_path, mnist_sample, classifier):
    from digitcam.data import load_usps

    x16, y = _usps_like(mnist_sample)
    path = tmp_path / "usps_train.npz"
    np.savez(path, x_train=x16, y_train=y)
    x, labels = load_usps(path)
    assert x.shape == (40, 28, 28) and x.dtype == np.uint8 and labels.dtype == np.int32
    assert (labels == y).all()
    ys, xs = np.nonzero(x[0] > 25)
    assert 16 <= ys.max() - ys.min() + 1 <= 21 and xs.min() >= 3 and xs.max() <= 24   # a 20 px box, as MNIST's
    assert x[:, 0].max() < 40 and x[:, :, 0].max() < 40                               # dark border, bright ink
    pred = classifier.predict(x.astype(np.float32) / 255.0)[:, :10].argmax(axis=1)
    assert (pred == labels).mean() >= 0.9                                             # still the same digits


def test_bad_usps_files_are_one_clear_error(tmp_path):
    from digitcam.data import load_usps

    with pytest.raises(DigitcamError, match="--extra-digits"):
        load_usps(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, x_train=np.zeros((3, 16, 16), np.uint8), y_train=np.array([1, 2, 12]))
    with pytest.raises(DigitcamError, match="labels 0-9"):
        load_usps(bad)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DigitcamError, match="cannot read USPS"):
        load_usps(tmp_path / "junk.npz")

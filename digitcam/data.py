"""Finding and reading MNIST: Keras' ``mnist.npz`` or the original IDX files (gzipped or not).

Where the data comes from, first match wins: the ``--data`` option, the ``DIGITCAM_MNIST``
environment variable, Keras' cache ``~/.keras/datasets/mnist.npz``, and last Keras' own download.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digitcam.errors import DigitcamError

ENV_VAR = "DIGITCAM_MNIST"
KERAS_CACHE = Path("~/.keras/datasets/mnist.npz")
_IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32, 0x0D: np.float32, 0x0E: np.float64}


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray  # (N, 28, 28) uint8
    y_train: np.ndarray  # (N,) int32
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    sha256: str


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (the format MNIST was published in), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DigitcamError(f"{path} is not an IDX file (bad magic number); pass MNIST's original files or mnist.npz")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    dtype = np.dtype(_IDX_DTYPES[raw[2]]).newbyteorder(">")
    count = int(np.prod(shape)) if shape else 0
    offset = 4 + 4 * dims
    if len(raw) - offset < count * dtype.itemsize:
        raise DigitcamError(f"{path} is truncated: expected {count} values of shape {shape}")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DigitcamError(f"{folder} has no {stem}[.gz]; a folder of IDX files needs all four MNIST files")


def _checksum(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_file(path: Path) -> Mnist:
    """Load MNIST from an ``.npz`` file or a folder holding the four IDX files."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DigitcamError(f"MNIST data not found at {path}; pass --data PATH (mnist.npz or a folder of IDX files)")
    try:
        if path.is_dir():
            files = {key: _find_idx(path, stem) for key, stem in _IDX_NAMES.items()}
            arrays = {key: read_idx(p) for key, p in files.items()}
            checksum = _checksum(list(files.values()))
        else:
            with np.load(path, allow_pickle=False) as npz:
                missing = [k for k in _IDX_NAMES if k not in npz.files]
                if missing:
                    raise DigitcamError(f"{path} lacks {', '.join(missing)}; expected Keras' mnist.npz layout")
                arrays = {k: npz[k] for k in _IDX_NAMES}
            checksum = _checksum([path])
    except DigitcamError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise DigitcamError(f"cannot read MNIST from {path} ({type(exc).__name__}); is the file complete?") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            raise DigitcamError(f"{path}: x_{split} has shape {x.shape} and y_{split} {y.shape}; expected (N, 28, 28) and (N,)")
        if len(y) == 0:
            raise DigitcamError(f"{path}: x_{split} and y_{split} are empty; MNIST needs digits in both splits", exit_code=2)
        if not np.issubdtype(y.dtype, np.integer) or int(y.min()) < 0 or int(y.max()) > 9:
            raise DigitcamError(f"{path}: y_{split} holds labels outside 0-9 (from {y.min()} to {y.max()}); "
                                "labels must be the digits 0 to 9", exit_code=2)
    return Mnist(
        x_train=arrays["x_train"].astype(np.uint8), y_train=arrays["y_train"].astype(np.int32),
        x_test=arrays["x_test"].astype(np.uint8), y_test=arrays["y_test"].astype(np.int32),
        source=str(path), sha256=checksum,
    )


def resolve_path(data: str | os.PathLike | None = None) -> Path | None:
    """The dataset file to use, or None when only Keras' download is left."""
    if data:
        return Path(data).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cache = KERAS_CACHE.expanduser()
    return cache if cache.exists() else None


def _reason(exc: BaseException) -> str:
    """A download failure in a few words: the deepest cause's message, not its class name."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:100]


def load_mnist(data: str | os.PathLike | None = None) -> Mnist:
    """Load MNIST from the first place that has it (see the module docstring)."""
    path = resolve_path(data)
    if path is not None:
        return load_file(path)
    try:
        import contextlib
        import sys

        from digitcam.quiet import quiet_tensorflow

        quiet_tensorflow()
        from keras.datasets import mnist  # noqa: PLC0415 - heavy import, only when downloading

        with contextlib.redirect_stdout(sys.stderr):  # Keras' progress must not mix with --json
            mnist.load_data()
    except Exception as exc:  # noqa: BLE001 - any download failure means the same to the user
        raise DigitcamError(
            f"MNIST not found: no --data, no ${ENV_VAR}, nothing at {KERAS_CACHE}, and Keras' download "
            f"failed ({_reason(exc)}); pass --data PATH to mnist.npz or a folder of IDX files "
            "(see the README, 'MNIST without the shared folder')"
        ) from None
    return load_file(KERAS_CACHE.expanduser())


def load_usps(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """USPS training digits (``x_train`` (N, 16, 16) uint8, ink bright on dark, and ``y_train``)
    made MNIST-like: each upscaled 4x and normalised as the engine normalises a crop (20 px box,
    centred by its mass in 28x28), so real postal writers join MNIST's in training.

    Returns (N, 28, 28) uint8 digits and (N,) int32 labels.
    """
    import cv2

    from digitcam.normalise import normalise

    path = Path(path).expanduser()
    if not path.is_file():
        raise DigitcamError(f"USPS digits not found at {path}; pass --extra-digits PATH to usps_train.npz", exit_code=2)
    try:
        with np.load(path, allow_pickle=False) as npz:
            x, y = npz["x_train"], npz["y_train"]
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise DigitcamError(f"cannot read USPS digits from {path} ({type(exc).__name__}); expected x_train "
                            "(N, 16, 16) and y_train (N,)", exit_code=2) from None
    if x.ndim != 3 or len(x) != len(y) or len(y) == 0 or int(np.min(y)) < 0 or int(np.max(y)) > 9:
        raise DigitcamError(f"{path}: x_train has shape {x.shape} and y_train {y.shape}; expected (N, H, W) "
                            "images and labels 0-9", exit_code=2)
    out = np.zeros((len(x), 28, 28), np.uint8)
    for i, d in enumerate(x.astype(np.uint8)):
        big = cv2.resize(d, (d.shape[1] * 4, d.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
        mask = (big > 100).astype(np.uint8) * 255      # ink is bright: the mask fixes the polarity
        out[i] = np.round(normalise(255 - big, mask) * 255).astype(np.uint8)
    return out, y.astype(np.int32)

"""Shared fixtures: the small MNIST sample, the shipped model, a recognizer, and helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FULL_MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"


@pytest.fixture(scope="session")
def mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    """500 MNIST test digits (every 20th), uint8 (500, 28, 28) and int labels."""
    with np.load(FIXTURES / "mnist_test_500.npz") as f:
        return f["x"], f["y"].astype(np.int32)


@pytest.fixture(scope="session")
def classifier():
    from digitcam.runtime import load_classifier

    return load_classifier()


@pytest.fixture(scope="session")
def recognizer(classifier):
    from digitcam.engine import Recognizer

    return Recognizer(classifier)


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 180, stdin=None) -> subprocess.CompletedProcess:
    """Run ``python -m digitcam ARGS`` the way a user would, capturing its output."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DISPLAY", None) if env is not None and env.get("DISPLAY") == "" else None
    return subprocess.run([sys.executable, "-m", "digitcam", *args], capture_output=True, text=True, cwd=cwd,
                          env=full_env, timeout=timeout, stdin=stdin if stdin is not None else subprocess.DEVNULL)


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    """A clean failure: the expected exit code, no traceback, and a short message that helps."""
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    for n in needles:
        assert n.lower() in (proc.stderr + proc.stdout).lower(), (n, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr

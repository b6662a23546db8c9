"""``digitcam bench``: speed of the engine, of scan on a folder, and of live on a 720p video.

Frames are synthetic scenes with known digits (see :mod:`digitcam.synth`), so the figures can
be reproduced anywhere. Times are wall-clock on this machine; nothing here is a test.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from digitcam.engine import Recognizer
from digitcam.synth import fabric, held_up_page, hershey_digits, render_scene, specks, typeset_sudoku, wood

# (scene, (height, width), digits): flat pages filling the frame, as round 1 measured, and the
# frames a webcam sees: a page held up in front of a background, no paper at all, the worst
# case for the region finder (stripes strewn with specks), and a sudoku puzzle typeset in DejaVu
# Sans or DejaVu Sans Bold held up (printed digits, a grid of rules), and a sheet lying on the desk
# before a webcam (its top 45-65 degrees away: read face-on, engine.page).
ENGINE_CASES = [("flat page", (480, 640), 5), ("flat page", (720, 1280), 20),
                ("page held up", (720, 1280), 24), ("no paper", (720, 1280), 0),
                ("stripes+specks", (720, 1280), 0), ("typeset sudoku", (720, 1280), 28),
                ("page held up", (480, 640), 24),   # a webcam's most common size: after the rows above,
                ("sheet on desk", (720, 1280), 24)]  # so they draw the frames they always drew


# x86 (AVX-VNNI, AVX-512 VNNI, AMX) and Arm (dot product) instructions that multiply int8 values
# four at a time. The model is int8: on this project's earlier 2-core machines it classified a
# held-up page's 140 crops in 6-7 ms, 2.7x faster than float32; on a 2-core AMD EPYC without
# these instructions it takes 28 ms, and float32 is the faster of the two there (docs/history.md).
INT8_DOT_FLAGS = frozenset({"avx_vnni", "avx512_vnni", "avx512vnni", "amx_int8", "asimddp"})


def machine(cpuinfo: str | None = None) -> dict:
    """What the figures were measured on: the CPU's name, its cores, and whether it has int8
    dot-product instructions (``INT8_DOT_FLAGS``; None where the OS does not say), which decide
    more than anything else how fast the model runs. ``cpuinfo``: Linux's /proc/cpuinfo text."""
    import os
    import platform

    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    name, flags = "", None
    for line in cpuinfo.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key in ("model name", "Hardware", "Model") and not name:
            name = value
        elif key in ("flags", "Features") and flags is None:
            flags = set(value.split())
    return {"cpu": name or platform.processor() or platform.machine() or "unknown", "cores": os.cpu_count() or 1,
            "int8_dot_product": None if flags is None else bool(flags & INT8_DOT_FLAGS)}


def describe(m: dict) -> str:
    """One line for the top of the bench's report."""
    dot = {True: "with", False: "without", None: "unknown whether with"}[m["int8_dot_product"]]
    return f"{m['cpu']}, {m['cores']} cores, {dot} int8 dot-product instructions"


@dataclass
class EngineRow:
    scene: str
    size: str
    digits: int
    found: float          # mean digits found per frame
    median_ms: float
    p95_ms: float
    fps: float
    gate_ms: float
    find_ms: float
    candidates_ms: float
    crops_ms: float
    classify_ms: float
    hypotheses: float     # median hypotheses scored per frame

    def to_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def digit_source(data: str | None, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """MNIST test digits when a dataset file is at hand, else OpenCV script-font digits."""
    from digitcam.data import load_file, resolve_path

    path = resolve_path(data)
    if path is not None and path.exists():
        m = load_file(path)
        return m.x_test, m.y_test, "MNIST test digits"
    x, y = hershey_digits(rng, 500)
    return x, y, "OpenCV script-font digits (no MNIST file found)"


def _frames(x, y, rng, scene: str, size, count: int, n: int = 8) -> list[np.ndarray]:
    h, w = size
    frames = []
    for _ in range(n):
        idx = rng.integers(0, len(x), max(count, 1))
        if scene == "flat page":
            frames.append(render_scene(x[idx], y[idx], rng, size=size, count=count,
                                       height=(28, 56) if count <= 5 else (24, 40), noise=3.0).image)
        elif scene == "page held up":
            page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=count, height=(34, 52), noise=2.0,
                                paper=str(rng.choice(["plain", "ruled", "squared"])))
            back = (wood if rng.random() < 0.5 else fabric)(h, w, rng)
            frames.append(held_up_page(page, back, rng).image)
        elif scene == "sheet on desk":
            page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=count, height=(34, 52), noise=2.0,
                                paper=str(rng.choice(["plain", "ruled", "squared"])))
            back = (wood if rng.random() < 0.5 else fabric)(h, w, rng)
            frames.append(held_up_page(page, back, rng, recline=float(rng.uniform(45, 65))).image)
        elif scene == "typeset sudoku":
            page = typeset_sudoku(rng, str(rng.choice(["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])), clues=count)
            back = (wood if rng.random() < 0.5 else fabric)(h, w, rng)
            frames.append(held_up_page(page, back, rng, fill=(0.75, 0.95)).image)
        elif scene == "no paper":
            frames.append(np.clip((wood if rng.random() < 0.5 else fabric)(h, w, rng), 0, 255).astype(np.uint8))
        else:
            frames.append(np.clip(specks(h, w, rng), 0, 255).astype(np.uint8))
    return frames


def bench_engine(recognizer: Recognizer, x, y, frames: int = 60, seed: int = 0, cases=ENGINE_CASES) -> list[EngineRow]:
    rng = np.random.default_rng(seed)
    rows = []
    for scene, size, count in cases:
        scenes = _frames(x, y, rng, scene, size, count)
        for s in scenes[:3]:  # warm-up: LiteRT plans its tensors per batch size
            recognizer(s)
        totals, parts, found = [], {"gate": [], "find": [], "candidates": [], "crops": [], "classify": [], "hypotheses": []}, []
        for i in range(frames):
            start = time.perf_counter()
            r = recognizer(scenes[i % len(scenes)])
            totals.append((time.perf_counter() - start) * 1e3)
            for k in parts:
                parts[k].append(r.timings.get(k, 0.0))
            found.append(len(r.detections))
        med = float(np.median(totals))
        rows.append(EngineRow(scene, f"{size[1]}x{size[0]}", count, float(np.mean(found)), med, float(np.percentile(totals, 95)),
                              1000.0 / med if med > 0 else 0.0, *(float(np.median(parts[k])) for k in parts)))
    return rows


def bench_scan(recognizer_factory, x, y, images: int = 60, workers: int = 2, seed: int = 1) -> dict:
    """``scan`` of a folder of 1280x720 JPEG frames of a page held up in front of a background,
    against decoding the same files alone (what no reader can beat)."""
    from digitcam.images import read_image
    from digitcam.scan import expand_inputs, scan_items

    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory(prefix="digitcam-bench-") as tmp:
        frames = _frames(x, y, rng, "page held up", (720, 1280), 24, n=images)
        for i, frame in enumerate(frames):
            cv2.imwrite(str(Path(tmp) / f"img{i:04d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
        items = list(expand_inputs([tmp]))
        from concurrent.futures import ThreadPoolExecutor

        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:  # decoding with as many threads as scan has workers
            list(pool.map(lambda item: read_image(item.path), items))
        decode = time.perf_counter() - start
        start = time.perf_counter()
        digits = sum(len(r.result.detections) for r in scan_items(items, recognizer_factory, workers=workers) if r.result)
        seconds = time.perf_counter() - start
    return {"images": images, "size": "1280x720", "workers": workers, "seconds": round(seconds, 3),
            "images_per_second": round(images / seconds, 1), "decode_only_seconds": round(decode, 3),
            "times_decoding": round(seconds / max(decode, 1e-9), 2), "digits_found": digits}


def make_video(path: Path, x, y, frames: int = 150, count: int = 10, size=(720, 1280), fps: float = 30.0, seed: int = 2) -> Path:
    """A video of a page of digits drifting and changing light, as a camera would see it."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), count)
    base = render_scene(x[idx], y[idx], rng, size=size, count=count, height=(40, 70)).image
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (size[1], size[0]))
    for i in range(frames):
        t = i / fps
        m = np.float32([[1, 0, 12 * np.sin(t)], [0, 1, 8 * np.cos(0.7 * t)]])
        frame = cv2.warpAffine(base, m, (size[1], size[0]), borderMode=cv2.BORDER_REPLICATE)
        frame = cv2.convertScaleAbs(frame, alpha=1.0 + 0.1 * np.sin(0.5 * t), beta=0)
        writer.write(frame)
    writer.release()
    return path


def bench_live(recognizer: Recognizer, x, y, frames: int = 150, seed: int = 2) -> dict:
    """The live loop (decode, engine, tracking, drawing, video encode) on a realistic 720p video:
    a page of 24 digits held up in front of floorboards, swaying, tilting, a hand passing over;
    frames per second, latency, and how right and steady the digits shown were."""
    import contextlib
    import io
    import json

    from digitcam.live import LiveOptions, run_live
    from digitcam.synth import moving_page_video

    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), 24)
    page = render_scene(x[idx], y[idx], rng, size=(600, 800), count=24, height=(34, 52), noise=2.0)
    with tempfile.TemporaryDirectory(prefix="digitcam-bench-") as tmp:
        truth = moving_page_video(Path(tmp) / "bench720p.avi", page, frames, rng, size=(720, 1280), fill=0.75)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            stats = run_live(recognizer, LiveOptions(source=str(Path(tmp) / "bench720p.avi"), show=False, jsonl=True,
                                                     save=Path(tmp) / "out.avi"), log=lambda m: None)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    steady = steadiness(records, truth.frames, truth.fps)
    return {"frames": stats.frames, "fps": round(stats.fps, 1), "engine_ms": round(stats.engine_ms / max(stats.frames, 1), 2),
            "latency_ms": round(float(np.median(stats.latency_ms)), 1), "resolution": "1280x720", "digits_in_view": 24,
            "shown_right": round(steady.right, 3), "label_changes": round(steady.changes, 4), "extra_per_frame": round(steady.extra, 2),
            "includes": "decode, engine, tracking, drawing, video encode"}


@dataclass
class Steadiness:
    """How a live run showed the true digits of a video, after its first half second."""

    right: float          # share of (frame, visible true digit) shown with the right label
    changes: float        # share of consecutive frames in which a digit's shown label changed
    extra: float          # shown digits per frame that are no true digit

    def to_dict(self) -> dict:
        return {k: round(v, 4) for k, v in self.__dict__.items()}


def steadiness(records: list[dict], truth: list[list[tuple]], fps: float, warmup: float = 0.5) -> Steadiness:
    """Compare live's per-frame JSON records with the true boxes of each frame: a true digit is
    shown when a shown box's centre lies inside it."""
    start = int(round(warmup * fps))
    right = total = changes = pairs = extra = 0
    last: dict[int, int] = {}
    for rec, boxes in zip(records[start:], truth[start:]):
        used = set()
        seen: dict[int, int] = {}
        for k, (x, y, w, h, label, *ident) in enumerate(boxes):
            k = ident[0] if ident else k   # a digit's own id when the truth has one (hidden digits)
            total += 1
            for j, d in enumerate(rec["digits"]):
                cx, cy = d["box"][0] + d["box"][2] / 2, d["box"][1] + d["box"][3] / 2
                if j not in used and x <= cx <= x + w and y <= cy <= y + h:
                    used.add(j)
                    right += d["label"] == label
                    seen[k] = d["label"]
                    break
        for k, label in seen.items():
            if k in last:
                pairs += 1
                changes += label != last[k]
        last = seen
        extra += len(rec["digits"]) - len(used)
    frames = max(len(records) - start, 1)
    return Steadiness(right / max(total, 1), changes / max(pairs, 1), extra / frames)

"""How scan results reach the user: a Rich table, JSON, JSON Lines, CSV and annotated copies."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import IO

import cv2
from rich.console import Console
from rich.text import Text

from digitcam.errors import DigitcamError
from digitcam.scan import ScanRecord

LOW_CONFIDENCE = 0.8


def plural(n: int, word: str) -> str:
    """``1 image``, ``2 images``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def short_path(path: str, width: int) -> str:
    """``path`` relative to the current folder when inside it, shortened from the middle to fit
    ``width`` (the file name, the part users look for, is kept whole when it fits)."""
    try:
        rel = os.path.relpath(path)
        if not rel.startswith(".."):
            path = rel
    except ValueError:  # another drive (Windows)
        pass
    if len(path) <= width:
        return path
    name = os.path.basename(path)
    if len(name) + 4 <= width:
        head = width - len(name) - 2
        return path[:head] + "…/" + name if head > 0 else "…/" + name
    keep = width - 1
    return path[: keep // 2] + "…" + path[len(path) - (keep - keep // 2):]


class TableWriter:
    """One aligned table, a row printed as each result arrives, fitted to the terminal's width."""

    FIXED = (("digits", 6), ("conf", 5), ("ms", 6))

    def __init__(self, console: Console) -> None:
        self.console, self.header_shown = console, False
        width = max(60, min(console.width, 160))
        free = width - sum(w for _, w in self.FIXED) - 2 * (len(self.FIXED) + 1)
        self.file_w = max(16, free * 9 // 20)
        self.num_w = free - self.file_w

    def _line(self, cells: list[tuple[Text, int, str]]) -> Text:
        line = Text()
        for k, (cell, width, align) in enumerate(cells):
            cell = cell.copy()
            cell.truncate(width, overflow="ellipsis")
            pad = " " * (width - cell.cell_len)
            if k:
                line.append("  ")
            line.append_text(Text(pad) + cell if align == "right" else cell + Text(pad))
        line.rstrip()
        return line

    def _cells(self, file: Text, numbers: Text, digits: Text, conf: Text, ms: Text) -> list[tuple[Text, int, str]]:
        return [(file, self.file_w, "left"), (numbers, self.num_w, "left"), (digits, 6, "right"), (conf, 5, "right"),
                (ms, 6, "right")]

    def add(self, rec: ScanRecord) -> None:
        if not self.header_shown:
            head = [Text(t, style="bold") for t in ("file", "numbers", "digits", "conf", "ms")]
            self.console.print(self._line(self._cells(*head)), soft_wrap=True)
            self.header_shown = True
        file = Text(short_path(rec.file, self.file_w))
        if rec.error:
            row = (file, Text(f"error: {rec.error}", style="red"), Text("-"), Text("-"), Text(f"{rec.ms:.0f}"))
        else:
            nums = Text()
            for k, n in enumerate(rec.result.numbers):
                if k:
                    nums.append("  ")
                nums.append(n.text, style="yellow" if n.confidence < LOW_CONFIDENCE else "bold green")
            dets = rec.result.detections
            low = min((d.confidence for d in dets), default=None)
            conf = Text("-" if low is None else f"{low:.2f}", style="yellow" if low is not None and low < LOW_CONFIDENCE else "")
            row = (file, nums if dets else Text("(no digits)", style="dim"), Text(str(len(dets))), conf, Text(f"{rec.ms:.0f}"))
        self.console.print(self._line(self._cells(*row)), soft_wrap=True)

    def flush(self) -> None:
        """Rows are printed as they come; nothing is held back."""


class CsvWriter:
    """One row per digit: file, number index, label, confidence, x, y, w, h."""

    HEADER = ["file", "number", "label", "confidence", "x", "y", "w", "h", "rotation"]

    def __init__(self, path: Path) -> None:
        try:
            self.handle: IO[str] = open(path, "w", newline="")
        except OSError as exc:
            raise DigitcamError(f"cannot write CSV to {path} ({exc.strerror}); choose a writable path", exit_code=2) from None
        self.writer = csv.writer(self.handle)
        self.writer.writerow(self.HEADER)

    def add(self, rec: ScanRecord) -> None:
        if rec.result is None:
            return
        number_of = {}
        for k, n in enumerate(rec.result.numbers):
            for d in n.digits:
                number_of[d] = k
        for i, d in enumerate(rec.result.detections):
            self.writer.writerow([rec.file, number_of.get(i, ""), d.label, f"{d.confidence:.4f}", *d.box, rec.result.rotation])

    def close(self) -> None:
        self.handle.close()


class Annotator:
    """Writes a copy of each image with its boxes, digits and confidences drawn on it."""

    def __init__(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DigitcamError(f"cannot create {folder} ({exc.strerror}); choose a writable --annotate folder", exit_code=2) from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise DigitcamError(f"cannot write into {folder} (permission denied); choose a writable --annotate folder", exit_code=2)
        self.folder, self.used = folder, set()

    def add(self, rec: ScanRecord) -> None:
        from digitcam.overlay import draw

        if rec.result is None or rec.image is None:
            return
        stem = Path(rec.file).stem
        name, k = f"{stem}.png", 1
        while name in self.used:
            k += 1
            name = f"{stem}-{k}.png"
        self.used.add(name)
        ok = False
        try:
            ok = cv2.imwrite(str(self.folder / name), draw(rec.image, rec.result.detections, rec.result.numbers))
        except cv2.error:
            pass
        rec.image = None
        if not ok:
            raise DigitcamError(f"cannot write {self.folder / name}; is the --annotate folder writable and the disk not full?")


def write_jsonl(rec: ScanRecord, out: IO[str] = sys.stdout) -> None:
    out.write(json.dumps(rec.to_dict()) + "\n")
    out.flush()


def write_json(records: list[dict], out: IO[str] = sys.stdout) -> None:
    json.dump(records, out, indent=2)
    out.write("\n")

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
from rich.table import Table
from rich.text import Text

from digitcam.errors import DigitcamError
from digitcam.scan import ScanRecord

LOW_CONFIDENCE = 0.8


class TableWriter:
    """Rows of a Rich table printed in chunks as results arrive, so long scans stream."""

    def __init__(self, console: Console, chunk: int = 20) -> None:
        self.console, self.chunk, self.rows, self.header_shown = console, chunk, [], False

    def _table(self) -> Table:
        t = Table(show_header=not self.header_shown, header_style="bold", box=None, pad_edge=False)
        t.add_column("file", overflow="fold", min_width=24, max_width=48)
        t.add_column("numbers", min_width=16, max_width=40, overflow="fold")
        t.add_column("digits", justify="right", width=6)
        t.add_column("min conf", justify="right", width=8)
        t.add_column("ms", justify="right", width=7)
        return t

    def add(self, rec: ScanRecord) -> None:
        if rec.error:
            row = (Text(rec.file), Text(f"error: {rec.error}", style="red"), Text("-"), Text("-"), Text(f"{rec.ms:.0f}"))
        else:
            nums = Text()
            for k, n in enumerate(rec.result.numbers):
                if k:
                    nums.append("  ")
                nums.append(n.text, style="yellow" if n.confidence < LOW_CONFIDENCE else "bold green")
            dets = rec.result.detections
            low = min((d.confidence for d in dets), default=None)
            conf = Text("-" if low is None else f"{low:.2f}", style="yellow" if low is not None and low < LOW_CONFIDENCE else "")
            row = (Text(rec.file), nums if dets else Text("(no digits)", style="dim"), Text(str(len(dets))), conf, Text(f"{rec.ms:.0f}"))
        self.rows.append(row)
        if len(self.rows) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = self._table()
        for row in self.rows:
            table.add_row(*row)
        self.console.print(table)
        self.header_shown, self.rows = True, []


class CsvWriter:
    """One row per digit: file, number index, label, confidence, x, y, w, h."""

    HEADER = ["file", "number", "label", "confidence", "x", "y", "w", "h"]

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
            self.writer.writerow([rec.file, number_of.get(i, ""), d.label, f"{d.confidence:.4f}", *d.box])

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

"""Reading order and numbers: which digits share a line, and which of them form one number."""

from __future__ import annotations

import numpy as np

from digitcam.detections import Detection, Number, union_box


def lines(boxes: np.ndarray) -> list[list[int]]:
    """Indices of boxes grouped into text lines, top to bottom, each line left to right.

    A box joins a line when its vertical centre lies within the line's current vertical extent
    and its height is within a factor of two of the line's.
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    order = np.argsort(boxes[:, 1] + boxes[:, 3] / 2.0, kind="stable")
    result: list[list[int]] = []
    extents: list[list[float]] = []  # top, bottom, height of each line
    for i in order:
        x, y, w, h = boxes[i]
        cy = y + h / 2.0
        for line, ext in zip(result, extents):
            if ext[0] <= cy <= ext[1] and 0.5 <= h / ext[2] <= 2.0:
                line.append(int(i))
                ext[0], ext[1] = min(ext[0], y), max(ext[1], y + h)
                ext[2] = float(np.mean(boxes[line, 3]))
                break
        else:
            result.append([int(i)])
            extents.append([float(y), float(y + h), float(h)])
    result = [sorted(line, key=lambda j: boxes[j, 0]) for line in result]
    result.sort(key=lambda line: float(np.min(boxes[line, 1] + boxes[line, 3] / 2.0)))
    return result


def reading_order(boxes: np.ndarray) -> list[int]:
    """All box indices in reading order: lines top to bottom, left to right within a line."""
    return [i for line in lines(boxes) for i in line]


def numbers(boxes: np.ndarray, max_gap: float = 0.9) -> list[list[int]]:
    """Runs of digits that form one number, in reading order.

    Within a line, neighbours belong to the same number when the gap between them is less than
    ``max_gap`` times their height and their heights differ by less than a factor of 1.7.
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    groups: list[list[int]] = []
    for line in lines(boxes):
        run = [line[0]]
        for prev, cur in zip(line, line[1:]):
            gap = boxes[cur, 0] - (boxes[prev, 0] + boxes[prev, 2])
            hp, hc = boxes[prev, 3], boxes[cur, 3]
            if gap < max_gap * max(hp, hc) and max(hp, hc) / max(min(hp, hc), 1) < 1.7:
                run.append(cur)
            else:
                groups.append(run)
                run = [cur]
        groups.append(run)
    return groups


def read(detections: list[Detection]) -> tuple[list[Detection], list[Number]]:
    """Detections in reading order, and the numbers they form (indices into that order)."""
    if not detections:
        return [], []
    boxes = np.array([d.box for d in detections]).reshape(-1, 4)
    order = reading_order(boxes)
    ordered = [detections[i] for i in order]
    boxes = boxes[order]
    found = []
    for group in numbers(boxes):
        text = "".join(str(ordered[g].label) for g in group)
        found.append(Number(text, min(ordered[g].confidence for g in group), union_box(boxes[group]), tuple(group)))
    return ordered, found

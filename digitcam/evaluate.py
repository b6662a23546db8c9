"""Accuracy measurements: a model on MNIST test, and the whole engine on labelled photos.

Photo labels use the layout of ``manifest.json``: a list of ``{"file": ..., "boxes": [[x, y, w,
h, label], ...]}`` with paths relative to the manifest; a label of -1 marks an unscorable digit.
A detection matches a true box when its centre lies inside it or IoU >= 0.3, one to one, best
IoU first.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from digitcam.detections import greedy_pairs, iou_matrix
from digitcam.errors import DigitcamError
from digitcam.normalise import normalise
from digitcam.engine import Recognizer
from digitcam.engine.motion import line
from digitcam.engine.scale import resized
from digitcam.runtime import Classifier


@dataclass
class MnistReport:
    accuracy: float
    per_class: list[float]
    confusion: np.ndarray
    count: int
    wrong: np.ndarray         # indices of misclassified digits
    predicted: np.ndarray

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "count": self.count, "errors": int(len(self.wrong)),
                "per_class_accuracy": self.per_class, "confusion_matrix": self.confusion.tolist()}


def evaluate_mnist(classifier: Classifier, x: np.ndarray, y: np.ndarray, batch: int = 1024) -> MnistReport:
    from digitcam.train.card import confusion_matrix, per_class_accuracy

    preds = []
    for i in range(0, len(x), batch):
        preds.append(classifier.predict(x[i:i + batch].astype(np.float32) / 255.0)[:, :10].argmax(axis=1))
    pred = np.concatenate(preds) if preds else np.zeros(0, int)
    cm = confusion_matrix(y, pred)
    return MnistReport(float((pred == y).mean()) if len(y) else 0.0, per_class_accuracy(cm), cm, int(len(y)),
                       np.flatnonzero(pred != y), pred)


def misclassified_grid(x: np.ndarray, y: np.ndarray, pred: np.ndarray, wrong: np.ndarray, path: Path, limit: int = 100) -> Path:
    """A PNG grid of misclassified digits, each captioned ``true->predicted``."""
    cell, cols = 56, 10
    items = wrong[:limit]
    rows = max(1, int(np.ceil(len(items) / cols)))
    sheet = np.zeros((rows * (cell + 14), cols * cell, 3), np.uint8)
    for k, i in enumerate(items):
        r, c = divmod(k, cols)
        tile = cv2.resize(x[i], (cell, cell), interpolation=cv2.INTER_NEAREST)
        y0 = r * (cell + 14)
        sheet[y0:y0 + cell, c * cell:(c + 1) * cell] = tile[..., None]
        cv2.putText(sheet, f"{y[i]}->{pred[i]}", (c * cell + 4, y0 + cell + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (80, 200, 255), 1, cv2.LINE_AA)
    if Path(path).suffix.lower() != ".png":
        raise DigitcamError(f"--errors writes a PNG picture: give a path ending in .png (got {path})", exit_code=2)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = cv2.imwrite(str(path), sheet)
    except (OSError, cv2.error):
        ok = False
    if not ok:
        raise DigitcamError(f"cannot write {path}; is the folder writable?")
    return path


def load_manifest(path: Path) -> tuple[Path, list[dict]]:
    try:
        entries = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DigitcamError(f"labels file not found: {path}", exit_code=2) from None
    except (OSError, ValueError) as exc:
        raise DigitcamError(f"cannot read labels {path} ({type(exc).__name__}); expected a JSON list of {{file, boxes}}", exit_code=2) from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "file" in e and "boxes" in e for e in entries):
        raise DigitcamError(f"{path}: expected a JSON list of objects with 'file' and 'boxes'", exit_code=2)
    for e in entries:
        bad = _bad_box(e["boxes"])
        if bad is not None:
            raise DigitcamError(f"{path}: {e['file']}: box {bad} is not [x, y, w, h, label] of finite numbers "
                                "(label a digit 0-9, or -1 for one not to score)", exit_code=2)
    return Path(path).parent, entries


def _bad_box(boxes: object) -> str | None:
    """The first entry of a manifest's ``boxes`` that is not [x, y, w, h, label] of finite numbers
    with a label from -1 to 9, as JSON (``boxes`` itself when it is no list); None when all are."""
    if not isinstance(boxes, list):
        return json.dumps(boxes)
    for b in boxes:
        if (not isinstance(b, list) or len(b) != 5
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in b)
                or b[4] not in range(-1, 10)):
            return json.dumps(b)
    return None


def match(det_boxes: np.ndarray, true_boxes: np.ndarray) -> list[tuple[int, int]]:
    """One-to-one (detection, truth) pairs: centre inside the true box or IoU >= 0.3, best IoU first."""
    if len(det_boxes) == 0 or len(true_boxes) == 0:
        return []
    iou = iou_matrix(det_boxes, true_boxes)
    cx = det_boxes[:, 0] + det_boxes[:, 2] / 2.0
    cy = det_boxes[:, 1] + det_boxes[:, 3] / 2.0
    t = true_boxes
    inside = (cx[:, None] >= t[None, :, 0]) & (cx[:, None] <= t[None, :, 0] + t[None, :, 2]) & \
             (cy[:, None] >= t[None, :, 1]) & (cy[:, None] <= t[None, :, 1] + t[None, :, 3])
    ok = inside | (iou >= 0.3)
    return greedy_pairs(iou + ok, ok)


def _prf(correct: int, detections: int, truths: int) -> dict:
    p = correct / detections if detections else (1.0 if truths == 0 else 0.0)
    r = correct / truths if truths else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r > 0 else 0.0}


@dataclass
class Tally:
    """Counts for a group of photos (all of them, or one kind of scene)."""

    images: int = 0
    truths: int = 0             # scorable true digits
    found: int = 0              # true digits matched by a detection
    correct: int = 0            # ... with the right label
    detections: int = 0         # detections not matched to an unscorable (-1) digit
    false_positives: int = 0    # detections matched to nothing

    def add(self, other: "Tally") -> None:
        for k in self.__dict__:
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def to_dict(self) -> dict:
        return {"images": self.images, "digits": self.truths, **_prf(self.correct, self.detections, self.truths),
                "detection_recall": self.found / max(self.truths, 1),
                "false_positives_per_image": self.false_positives / max(self.images, 1)}


@dataclass
class PhotoReport:
    total: Tally = field(default_factory=Tally)
    kinds: dict[str, Tally] = field(default_factory=dict)
    crop_correct: int = 0           # true boxes cut out and classified alone
    blank_images: int = 0           # photos that could be painted digit-free
    blank_false_positives: int = 0  # digits read on those photos with their digits painted out
    per_image: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            **self.total.to_dict(),
            "crop_accuracy": self.crop_correct / max(self.total.truths, 1),
            "digit_free_images": self.blank_images,
            "false_positives_per_digit_free_image": self.blank_false_positives / max(self.blank_images, 1),
            "kinds": {k: t.to_dict() for k, t in sorted(self.kinds.items())},
            "per_image": self.per_image,
        }


def paint_out(image: np.ndarray, boxes: np.ndarray) -> np.ndarray | None:
    """The photo with every labelled digit painted over (OpenCV inpainting): the same paper,
    light and shadows, and no digits, for measuring false detections on digit-free photos.
    None when the digits cover most of the photo (a canvas drawing): nothing is left to paint from."""
    h, w = image.shape[:2]
    scale = min(1.0, 1000.0 / max(h, w))  # inpainting cost grows with the area painted
    small = cv2.resize(image, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else image.copy()
    mask = np.zeros(small.shape[:2], np.uint8)
    for x, y, bw, bh in boxes * scale:
        m = 0.2 * max(bw, bh) + 3
        cv2.rectangle(mask, (int(x - m), int(y - m)), (int(x + bw + m), int(y + bh + m)), 255, -1)
    if np.count_nonzero(mask) > 0.4 * mask.size:
        return None
    painted = cv2.inpaint(small, mask, 5, cv2.INPAINT_TELEA)
    return cv2.resize(painted, (w, h), interpolation=cv2.INTER_LINEAR) if scale < 1 else painted


def score_image(result, truth: np.ndarray, labels: np.ndarray) -> Tally:
    """One photo's counts: detections matched one to one against its labelled boxes."""
    det = np.array([d.box for d in result.detections], np.float64).reshape(-1, 4)
    pairs = match(det, truth)
    unscorable = {d for d, g in pairs if labels[g] < 0}
    return Tally(images=1, truths=int((labels >= 0).sum()),
                 found=sum(1 for _, g in pairs if labels[g] >= 0),
                 correct=sum(1 for d, g in pairs if labels[g] >= 0 and result.detections[d].label == labels[g]),
                 detections=len(det) - len(unscorable), false_positives=len(det) - len(pairs))


def worse_camera(image: np.ndarray, blur: float = 0.0, jpeg: int = 0, motion: float = 0.0,
                 angle: float = 0.0) -> np.ndarray:
    """``image`` as a worse camera would give it: smeared by the page moving ``motion`` pixels
    along ``angle`` (radians) while the shutter was open, out of focus (a Gaussian blur of
    ``blur`` pixels, its sigma) and, ``jpeg`` from 1 to 100, compressed at that quality as a
    webcam's stream is; as it is for 0, 0 and 0."""
    if motion > 0:
        image = cv2.filter2D(image, -1, line(motion, angle), borderType=cv2.BORDER_REFLECT)
    if blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if jpeg:
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg)])
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if ok else image
    return image


def motion_angle(n: int) -> float:
    """The direction (radians) photo ``n`` of a set is smeared along by ``eval --motion``: spread
    evenly over the half circle by the golden ratio, the same on every run."""
    return float((n * 0.6180339887) % 1.0 * np.pi)


def tilted(image: np.ndarray, truth: np.ndarray, labels: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``image`` turned ``degrees`` counter-clockwise within its own frame, as a camera turned
    against the page sees it (the corners it no longer shows filled with the median colour of the
    photo's border), its ``truth`` boxes (x, y, w, h) as the upright bounds of the turned ones,
    and its ``labels`` with -1 (counted neither way) for the digits no longer wholly in view."""
    from digitcam.engine.tilt import box_into

    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), degrees, 1.0)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).reshape(2 * (w + h), -1)
    fill = tuple(float(v) for v in np.median(border, axis=0))
    turned = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    boxes = np.array([box_into(tuple(b), m) for b in truth], np.float64).reshape(-1, 4)
    inside = (boxes[:, 0] >= 0) & (boxes[:, 1] >= 0) & (boxes[:, 0] + boxes[:, 2] <= w) & (boxes[:, 1] + boxes[:, 3] <= h)
    return turned, boxes, np.where(inside, labels, -1)


def evaluate_photos(recognizer: Recognizer, manifest: Path, progress=None, turn: int = 0,
                    resize: float = 1.0, blur: float = 0.0, jpeg: int = 0, motion: float = 0.0,
                    tilt: float = 0.0) -> PhotoReport:
    """The engine on labelled photos; ``turn``: each photo and its boxes turned that many degrees
    counter-clockwise first (a page that came in sideways or upside down); ``tilt``: then turned
    that many degrees within its own frame (:func:`tilted`: a camera turned against the page);
    ``resize``: each made that many times its size first (how steady the reading is from one
    camera to another);
    ``blur``, ``jpeg``, ``motion``: each then made as a worse camera would (:func:`worse_camera`;
    photo ``n`` smeared along :func:`motion_angle`)."""
    from digitcam.images import read_image

    root, entries = load_manifest(manifest)
    report = PhotoReport()
    for n, entry in enumerate(entries):
        try:
            image = read_image(root / entry["file"])
        except DigitcamError as exc:
            raise DigitcamError(f"{root / entry['file']}: {exc}; every image in the labels file must be readable") from None
        truth = np.array([b[:4] for b in entry["boxes"]], np.float64).reshape(-1, 4)
        labels = np.array([b[4] for b in entry["boxes"]], int)
        if turn:
            from digitcam.engine.orientation import box_turned, rotate

            cw = (360 - turn) % 360
            h0, w0 = image.shape[:2]
            truth = np.array([box_turned(tuple(b), cw, w0, h0) for b in truth], np.float64).reshape(-1, 4)
            image = rotate(image, cw)
        if tilt:
            image, truth, labels = tilted(image, truth, labels, tilt)
        if resize != 1.0:
            h0, w0 = image.shape[:2]
            image = resized(image, resize)
            truth = truth * np.array([image.shape[1] / w0, image.shape[0] / h0] * 2)
        image = worse_camera(image, blur, jpeg, motion, motion_angle(n))
        result = recognizer(image)
        tally = score_image(result, truth, labels)
        kind = str(entry.get("kind", "photo"))
        report.total.add(tally)
        report.kinds.setdefault(kind, Tally()).add(tally)
        crops = [normalise(image[int(y):int(y + h), int(x):int(x + w)]) for (x, y, w, h), l in zip(truth, labels) if l >= 0]
        crop_labels = labels[labels >= 0]
        crop_pred = recognizer.classifier.predict(np.stack(crops))[:, :10].argmax(axis=1) if crops else np.zeros(0, int)
        report.crop_correct += int((crop_pred == crop_labels).sum())
        blank = paint_out(image, truth)
        blank_fp = None if blank is None else len(recognizer(blank).detections)
        if blank is not None:
            report.blank_images += 1
            report.blank_false_positives += blank_fp
        report.per_image.append({"file": entry["file"], "kind": kind, "truth": "".join(str(l) if l >= 0 else "?" for l in labels),
                                 "read": result.text, "digits": tally.truths, "correct": tally.correct,
                                 "false_positives": tally.false_positives, **_prf(tally.correct, tally.detections, tally.truths),
                                 "crop_correct": int((crop_pred == crop_labels).sum()), "digit_free_false_positives": blank_fp})
        if progress is not None:
            progress(n + 1, len(entries))
    return report


def evaluate_negatives(recognizer: Recognizer, folder: Path, progress=None, resize: float = 1.0,
                       blur: float = 0.0, jpeg: int = 0, motion: float = 0.0) -> dict:
    """False digits on every image of a folder of digit-free photos (any digit read is false);
    ``resize``: each made that many times its size first; ``blur``, ``jpeg``, ``motion``: then as
    a worse camera would give it (:func:`worse_camera`, image ``n`` along :func:`motion_angle`)."""
    from digitcam.images import read_image
    from digitcam.scan import expand_inputs

    if not Path(folder).is_dir():
        raise DigitcamError(f"no such folder: {folder}; --negatives takes a folder of digit-free photos", exit_code=2)
    items = [i for i in expand_inputs([str(folder)]) if getattr(i, "path", None) is not None]
    if not items:
        raise DigitcamError(f"no images in {folder}; --negatives takes a folder of digit-free photos", exit_code=2)
    rows = []
    for n, item in enumerate(items):
        image = worse_camera(resized(read_image(item.path), resize), blur, jpeg, motion, motion_angle(n))
        result = recognizer(image)
        rows.append({"file": str(item.path), "false_digits": len(result.detections), "read": result.text})
        if progress is not None:
            progress(n + 1, len(items))
    total = sum(r["false_digits"] for r in rows)
    return {"images": len(rows), "false_digits": total, "false_digits_per_image": total / len(rows),
            "images_with_false_digits": sum(1 for r in rows if r["false_digits"]), "per_image": rows}

"""The ``digitcam`` command line. Heavy imports (TensorFlow, the engine) happen inside commands."""

from __future__ import annotations

import json
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from digitcam import __version__
from digitcam.detections import MIN_CONFIDENCE
from digitcam.errors import DigitcamError

app = typer.Typer(
    name="digitcam",
    help=(
        "Read handwritten digits from a webcam, photos or a drawing canvas.\n\n"
        "Examples:\n\n"
        "  digitcam live                      # webcam 0, predictions drawn live\n\n"
        "  digitcam live --source clip.mp4 --no-show --jsonl\n\n"
        "  digitcam scan ./photos --json      # every image in a folder\n\n"
        "  digitcam draw                      # draw digits with the mouse\n\n"
        "  digitcam train --output my.keras   # train the CNN on MNIST\n\n"
        "  digitcam eval                      # accuracy of the shipped model"
    ),
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
err = Console(stderr=True)

ModelOpt = Annotated[Optional[Path], typer.Option("--model", "-m", help="Model file (.keras or .tflite). Default: the shipped model, or $DIGITCAM_MODEL.")]
class Rotation(str, Enum):
    auto = "auto"
    r0 = "0"
    r90 = "90"
    r180 = "180"
    r270 = "270"


class Runtime(str, Enum):
    auto = "auto"
    litert = "litert"
    tensorflow = "tensorflow"


RuntimeOpt = Annotated[Runtime, typer.Option("--runtime", help="Inference runtime: auto (LiteRT when installed), litert or tensorflow.")]
ConfOpt = Annotated[float, typer.Option("--min-confidence", "-c", min=0.0, max=1.0, help="Hide digits the model is less sure of than this.")]
LoneOpt = Annotated[bool, typer.Option("--keep-lone", help="Also show a digit far from any other that is small (under 3% of the image's shorter side), or under 10% and read less surely than 0.8: dropped as a speck of the scene by default.")]
PrintedOpt = Annotated[bool, typer.Option("--printed/--handwritten-only", help="Also read printed digits (sudoku clues, typed numbers) with the printed-digit reader beside the model, heard where it is sure; --handwritten-only reads with the model alone.")]
DataOpt = Annotated[Optional[Path], typer.Option("--data", help="MNIST as Keras' mnist.npz or a folder of IDX files. Default: $DIGITCAM_MNIST, then ~/.keras/datasets/mnist.npz, then Keras' download.")]


def _version(value: bool) -> None:
    if value:
        print(f"digitcam {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False) -> None:
    """Read handwritten digits from a webcam, photos or a drawing canvas."""


def _recognizer(model: Optional[Path], runtime: str, min_confidence: float, threads: int = 1, photos: bool = False,
                rotation: str = "0", keep_lone: bool = False, printed: bool = True):
    """The engine; ``photos``: look closer for small digits even when none was read at first, and
    split more wide regions into pieces (scan and eval spend more on a photo than live on a
    camera frame); ``keep_lone``: keep small digits far from any other (engine.alone);
    ``printed``: hear the printed-digit reader beside the model, if there is one (engine.printed)."""
    from digitcam.engine import Recognizer
    from digitcam.engine.crops import MAX_FRAME_PIECES, PHOTO_PIECES
    from digitcam.runtime import load_classifier

    turn = rotation if rotation == "auto" else int(rotation)
    return Recognizer(load_classifier(model, runtime, threads=threads), min_confidence=min_confidence, search_small=photos,
                      rotation=turn, max_pieces=PHOTO_PIECES if photos else MAX_FRAME_PIECES, alone=not keep_lone,
                      printed="auto" if printed else None)


@app.command()
def scan(
    inputs: Annotated[list[str], typer.Argument(help="Image files, folders and glob patterns ('photos/**/*.jpg').", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON list with an object per image.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Stream one JSON object per image, one per line.")] = False,
    csv_path: Annotated[Optional[Path], typer.Option("--csv", help="Also write one CSV row per digit to this file.")] = None,
    annotate: Annotated[Optional[Path], typer.Option("--annotate", help="Write a copy of each image with its readings drawn on it into this folder.")] = None,
    recursive: Annotated[bool, typer.Option("--recursive/--no-recursive", help="Look into sub-folders of folders.")] = True,
    min_confidence: ConfOpt = MIN_CONFIDENCE,
    model: ModelOpt = None,
    runtime: RuntimeOpt = Runtime.auto,
    workers: Annotated[int, typer.Option("--workers", min=0, max=32, help="Images read at once; 0 means one per core, up to 4.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary line.")] = False,
    rotation: Annotated[Rotation, typer.Option("--rotation", help="Degrees clockwise to turn each image before reading it; auto: decide per image from its digits (photos that came in sideways or upside down); 0 reads every image as it is.")] = Rotation.auto,
    keep_lone: LoneOpt = False,
    printed: PrintedOpt = True,
) -> None:
    """Read the digits in image files and print a table (or JSON/CSV).

    Exit status: 0 when every image was read, 1 when some could not be, 2 for usage errors.
    """
    import os

    from digitcam.scan import check_inputs, expand_inputs, exit_status, scan_items
    from digitcam.scan_output import Annotator, CsvWriter, TableWriter, plural, write_json, write_jsonl

    if as_json and jsonl:
        raise DigitcamError("--json and --jsonl are exclusive; pick one", exit_code=2)
    check_inputs(inputs)
    items = list(expand_inputs(inputs, recursive))
    if not (as_json or jsonl) and all(item.path is None for item in items):
        # nothing to read at all (a missing file, an empty folder, a pattern matching nothing):
        # say so in a line an input, not in a table of error rows
        for item in items:
            err.print(escape(f"digitcam scan: {item.shown}: {item.error}"), highlight=False, soft_wrap=True)
        raise typer.Exit(exit_status(len(items), sum(item.usage_error for item in items)))
    first = _recognizer(model, runtime, min_confidence, photos=True, rotation=rotation.value, keep_lone=keep_lone,
                        printed=printed)
    spare = [first]

    def factory():
        """A recognizer for one worker thread: a LiteRT interpreter is not thread-safe, so each
        thread gets its own; a TensorFlow function can be shared."""
        if spare:
            return spare.pop()
        if first.classifier.runtime == "litert":
            return _recognizer(first.classifier.path, "litert", min_confidence, photos=True, rotation=rotation.value,
                               keep_lone=keep_lone, printed=printed)
        return first

    workers = workers or max(1, min(4, os.cpu_count() or 1))
    out = Console(soft_wrap=False)
    table = None if (as_json or jsonl) else TableWriter(out)
    csv_writer = CsvWriter(csv_path) if csv_path else None
    annotator = Annotator(annotate) if annotate else None
    collected: list[dict] = []
    failed = usage = digits = 0
    start = time.perf_counter()
    show_progress = not quiet and len(items) > 5 and err.is_terminal
    from rich.progress import Progress

    done = 0
    interrupted = False
    with Progress(console=err, transient=True, disable=not show_progress) as progress:
        task = progress.add_task("scanning", total=len(items))
        try:
            for rec in scan_items(items, factory, workers=workers, keep_images=annotator is not None):
                done += 1
                failed += rec.error is not None
                usage += rec.usage_error
                digits += len(rec.result.detections) if rec.result else 0
                if jsonl:
                    write_jsonl(rec)
                elif as_json:
                    collected.append(rec.to_dict())
                else:
                    table.add(rec)
                if csv_writer:
                    csv_writer.add(rec)
                if annotator:
                    annotator.add(rec)
                progress.advance(task)
        except KeyboardInterrupt:  # keep what was read: the rows printed, the JSON written whole
            interrupted = True
        finally:
            if table:
                table.flush()
            if csv_writer:
                csv_writer.close()
    if as_json:
        write_json(collected)
    if interrupted:
        err.print(f"digitcam: interrupted after {done} of {len(items)} images; the results above are complete for those")
        raise typer.Exit(130)
    seconds = time.perf_counter() - start
    if not quiet:
        rate = len(items) / seconds if seconds > 0 else 0.0
        images = sum(item.path is not None for item in items)   # a missing path or empty folder is no image
        err.print(f"{plural(images, 'image')}, {plural(digits, 'digit')}, {plural(failed, 'error')}, {rate:.1f} images/s")
    code = exit_status(failed, usage)
    if code:
        raise typer.Exit(code)


@app.command()
def train(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the model (.keras); its .tflite, card and plots go beside it.")] = Path("digitcam_model.keras"),
    data: DataOpt = None,
    extra_digits: Annotated[Optional[Path], typer.Option("--extra-digits", help="More real writers: USPS training digits (usps_train.npz: x_train (N, 16, 16), y_train), normalised as crops are and trained on beside MNIST's.")] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Maximum epochs (early stopping may end sooner).")] = 14,
    batch_size: Annotated[int, typer.Option(min=8, help="Samples per training step.")] = 128,
    learning_rate: Annotated[float, typer.Option(min=1e-6, help="Adam's starting learning rate (cosine decay to 2% of it).")] = 2e-3,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and data give the same model.")] = 0,
    patience: Annotated[int, typer.Option(min=1, help="Stop after this many epochs without a better validation accuracy.")] = 6,
    limit: Annotated[Optional[int], typer.Option(min=100, help="Train on the first N MNIST digits only (a quick try).")] = None,
    scenes: Annotated[int, typer.Option(min=4, help="Rendered scenes whose hypotheses are training samples (and 3/8 as many for the prefilter).")] = 1600,
    backdrops: Annotated[Optional[Path], typer.Option("--backdrops", help="A folder of digit-free photographs (python -m digitcam.train.photos DIR makes one: DIR/train): more backdrops behind the pages, and --world-scenes frames of them alone, every region on which is 'not a digit'.")] = None,
    world_scenes: Annotated[int, typer.Option("--world-scenes", min=0, help="With --backdrops: frames of those photographs alone to train on.")] = 1000,
    init: Annotated[Optional[Path], typer.Option("--init", help="Fine-tune: start from this trained model's weights (and keep its prefilter) instead of from scratch.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run of the same --output from its last checkpoint, with its settings.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists (needed to replace the shipped model).")] = False,
) -> None:
    """Train the CNN on MNIST digits alone and on the engine's hypotheses in rendered scenes, then the
    first-look prefilter; writes model, LiteRT file, card (with the prefilter) and plots. (The
    engine's gate is trained apart: python -m digitcam.train.gate --out FOLDER.)

    Ctrl-C keeps the last finished epoch: run the same command with --resume to continue.
    """
    from digitcam.train.augment import AugmentConfig
    from digitcam.train.pipeline import TrainConfig
    from digitcam.train.pipeline import train as run

    if extra_digits is not None and not extra_digits.is_file():
        raise DigitcamError(f"USPS digits not found at {extra_digits}; pass --extra-digits PATH to usps_train.npz", exit_code=2)
    if not init and ((limit and limit < 20000) or epochs < 4 or scenes < 400):
        err.print("[yellow]a short run:[/] it shows the pipeline works, but do not expect a usable model; with "
                  "--limit 1000 --epochs 2 expect well under 90% on MNIST test and a poor reader of photos. The shipped "
                  "model took all 60,000 digits, 1,600 scenes and 14 epochs (about 35 minutes on 2 cores).",
                  highlight=False, soft_wrap=True)

    card = run(TrainConfig(output=output, data=str(data) if data else None,
                           extra_digits=str(extra_digits) if extra_digits else None, epochs=epochs, batch_size=batch_size,
                           backdrops=str(backdrops) if backdrops else None, init=str(init) if init else None,
                           learning_rate=learning_rate, seed=seed, patience=patience, limit=limit, resume=resume, force=force,
                           augment=AugmentConfig(scenes=scenes, world_scenes=world_scenes if backdrops else 0)), err)
    err.print(f"[bold green]test accuracy {card['test_accuracy']:.4f}[/] on {card['test_digits']} MNIST test digits, "
              f"{card['epochs']} epochs, {card['training_seconds']:.0f} s; wrote {output}")


@app.command("eval")
def evaluate(
    model: ModelOpt = None,
    data: DataOpt = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Evaluate the whole engine on labelled photos instead (manifest.json layout): F1 per kind of scene and per photo.")] = None,
    negatives: Annotated[Optional[Path], typer.Option("--negatives", help="Also count false digits on a folder of digit-free photos (make one with: python -m digitcam.train.negatives DIR).")] = None,
    turn: Annotated[Rotation, typer.Option("--turn", help="With --labels: turn every photo (and its boxes) this many degrees counter-clockwise first, to measure reading turned pages.")] = Rotation.r0,
    tilt: Annotated[float, typer.Option("--tilt", help="With --labels: then turn every photo this many degrees counter-clockwise within its own frame, -45 to 45, as a camera turned against the page sees it (the corners filled with the photo's border colour), to measure reading leaning pages; only the digits wholly in view count.")] = 0.0,
    rotation: Annotated[Rotation, typer.Option("--rotation", help="Degrees clockwise to turn each photo before reading it, or auto (as scan does by default).")] = Rotation.auto,
    resize: Annotated[float, typer.Option("--resize", help="With --labels or --negatives: make every photo (and its boxes) this many times its size first, 0.1 to 4, to measure how steady the reading is from one camera to another.")] = 1.0,
    blur: Annotated[float, typer.Option("--blur", help="With --labels or --negatives: blur every photo first (after --resize) as an out-of-focus camera would: a Gaussian of this many pixels, 0 to 10.")] = 0.0,
    jpeg: Annotated[int, typer.Option("--jpeg", help="With --labels or --negatives: compress every photo first (after --blur) as a webcam's stream does: JPEG at this quality, 1 to 100; 0 keeps them as they are.")] = 0,
    motion: Annotated[float, typer.Option("--motion", help="With --labels or --negatives: smear every photo first (before --blur) as a page moving this many pixels while the shutter is open would be, each along its own direction, 0 to 30.")] = 0.0,
    head: Annotated[str, typer.Option("--head", help="Which model head decides on photos: both (the default engine: the two heads together), context (the head that sees the surroundings) or crop (the digit crop alone), to measure what each buys.")] = "both",
    errors: Annotated[Optional[Path], typer.Option("--errors", help="Also write a PNG grid of the misclassified MNIST digits to this file.")] = None,
    runtime: RuntimeOpt = Runtime.auto,
    min_confidence: ConfOpt = MIN_CONFIDENCE,
    keep_lone: LoneOpt = False,
    printed: PrintedOpt = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Accuracy of a model on the MNIST test set, or of the engine on labelled photos (--labels)
    and on digit-free photos (--negatives).

    Example: digitcam eval --labels ../shared/realdigits/manifest.json --negatives ./negatives

    How steady the reading is: add --resize 0.9 (each photo 10% smaller), --turn 90, --tilt 15, or a worse
    camera's frames: --blur 1 --jpeg 60, or a page moving in front of it: --motion 5 --jpeg 60.
    """
    from rich.table import Table

    from digitcam.runtime import load_classifier

    out = Console()
    if errors is not None and errors.suffix.lower() != ".png":
        raise DigitcamError(f"--errors writes a PNG picture: give a path ending in .png (got {errors})", exit_code=2)
    if head not in ("both", "context", "crop"):
        raise DigitcamError(f"unknown --head {head!r}; choose both, context or crop", exit_code=2)
    if not 0.1 <= resize <= 4.0:
        raise DigitcamError(f"--resize takes a factor from 0.1 to 4 (got {resize:g}); 1 reads the photos as they are", exit_code=2)
    if not 0.0 <= blur <= 10.0:
        raise DigitcamError(f"--blur takes a Gaussian's sigma from 0 to 10 pixels (got {blur:g}); 0 reads the photos as they are", exit_code=2)
    if not 0 <= jpeg <= 100:
        raise DigitcamError(f"--jpeg takes a JPEG quality from 1 to 100 (got {jpeg}); 0 reads the photos as they are", exit_code=2)
    if not -45.0 <= tilt <= 45.0:
        raise DigitcamError(f"--tilt takes degrees from -45 to 45 (got {tilt:g}); for a quarter turn use --turn", exit_code=2)
    if not 0.0 <= motion <= 30.0:
        raise DigitcamError(f"--motion takes a smear's length from 0 to 30 pixels (got {motion:g}); 0 reads the photos as they are", exit_code=2)
    if labels is not None or negatives is not None:
        from digitcam.evaluate import evaluate_negatives, evaluate_photos
        from rich.progress import Progress

        recognizer = _recognizer(model, runtime, min_confidence, photos=True, rotation=rotation.value, keep_lone=keep_lone,
                                 printed=printed)
        recognizer.head = head
        rep: dict = {"model": str(recognizer.classifier.path), "head": head, "resize": resize, "blur": blur, "jpeg": jpeg,
                     "motion": motion, "tilt": tilt, "printed": str(recognizer.printed.path) if recognizer.printed is not None else None}
        with Progress(console=err, transient=True, disable=as_json or not err.is_terminal) as progress:
            if labels is not None:
                task = progress.add_task("labelled photos", total=None)
                if turn == Rotation.auto:
                    raise DigitcamError("--turn takes 0, 90, 180 or 270", exit_code=2)
                rep.update(evaluate_photos(recognizer, labels, lambda n, t: progress.update(task, completed=n, total=t),
                                           turn=int(turn.value), resize=resize, blur=blur, jpeg=jpeg,
                                           motion=motion, tilt=tilt).to_dict())
            if negatives is not None:
                task = progress.add_task("digit-free photos", total=None)
                rep["negatives"] = evaluate_negatives(recognizer, negatives, lambda n, t: progress.update(task, completed=n, total=t),
                                                      resize=resize, blur=blur, jpeg=jpeg, motion=motion)
        if as_json:
            print(json.dumps(rep, indent=2))
            return
        if labels is not None:
            from digitcam.scan_output import short_path

            t = Table(title=f"per photo ({labels})", header_style="bold", box=None, pad_edge=False, padding=(0, 1))
            t.add_column("file", no_wrap=True, min_width=24, max_width=24)
            t.add_column("kind", no_wrap=True, min_width=11, max_width=11)
            for col, w in (("right", 7), ("false", 5), ("F1", 4)):
                t.add_column(col, justify="right", no_wrap=True, min_width=w)
            t.add_column("read", no_wrap=True, overflow="ellipsis", max_width=max(8, min(out.width, 160) - 24 - 11 - 16 - 12))
            for row in rep["per_image"]:
                t.add_row(escape(short_path(row["file"], 24)), escape(str(row["kind"])), f"{row['correct']}/{row['digits']}", str(row["false_positives"]),
                          f"{row['f1']:.2f}", row["read"] or "-")
            out.print(t)
            k = Table(title="per kind of scene", header_style="bold", box=None, pad_edge=False, padding=(0, 1))
            for col in ("kind", "photos", "digits", "F1", "precision", "recall", "false/photo"):
                k.add_column(col, justify="right")
            for name, r in [*rep["kinds"].items(), ("all", rep)]:
                k.add_row(escape(str(name)), str(r["images"]), str(r["digits"]), f"{r['f1']:.3f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                          f"{r['false_positives_per_image']:.2f}")
            out.print(k)
            out.print(f"true boxes classified alone: {rep['crop_accuracy']:.1%}; "
                      f"{rep['false_positives_per_digit_free_image']:.2f} false digits per photo with its digits painted out "
                      f"({rep['digit_free_images']} photos)")
        if negatives is not None:
            n = rep["negatives"]
            out.print(f"digit-free photos in {negatives}: {n['false_digits']} false digits on {n['images']} photos "
                      f"({n['false_digits_per_image']:.2f} per photo, {n['images_with_false_digits']} photos with any)")
        return
    from digitcam.data import load_mnist
    from digitcam.evaluate import evaluate_mnist, misclassified_grid

    classifier = load_classifier(model, runtime)
    mnist = load_mnist(data)
    rep = evaluate_mnist(classifier, mnist.x_test, mnist.y_test)
    if errors:
        misclassified_grid(mnist.x_test, mnist.y_test, rep.predicted, rep.wrong, errors)
    if as_json:
        print(json.dumps({"model": str(classifier.path), "runtime": classifier.runtime, **rep.to_dict(),
                          "errors_png": str(errors) if errors else None}, indent=2))
        return
    t = Table(title=f"{classifier.path.name} ({classifier.runtime}) on {rep.count} MNIST test digits", header_style="bold")
    t.add_column("digit", justify="right")
    t.add_column("count", justify="right")
    t.add_column("accuracy", justify="right")
    for d in range(10):
        t.add_row(str(d), str(int(rep.confusion[d].sum())), f"{rep.per_class[d]:.2%}")
    out.print(t)
    cm = Table(title="confusion matrix (rows: true, columns: predicted)", header_style="bold")
    cm.add_column("")
    for d in range(10):
        cm.add_column(str(d), justify="right")
    for d in range(10):
        cm.add_row(str(d), *[(f"[bold]{v}[/]" if i == d else (str(v) if v else "[dim]·[/]")) for i, v in enumerate(rep.confusion[d])])
    out.print(cm)
    out.print(f"[bold]accuracy {rep.accuracy:.2%}[/] ({len(rep.wrong)} errors)" + (f"; misclassified digits: {errors}" if errors else ""))


def _usage_line(exc: Exception) -> str | None:
    """One line for a command-line mistake Click caught (an unparsable value, a missing argument,
    an unknown option), or None when ``exc`` is not one. Typer's own box is five lines; a user
    needs the mistake and where to look. Matched by shape, not class: Typer vendors its own Click."""
    if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
        return None
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "digitcam"
    message = " ".join(str(exc.format_message()).split())
    return f"{path}: {message.rstrip('.')}. See '{path} --help'."


def main() -> None:
    """Entry point: runs the app and turns a :class:`DigitcamError`, or a usage mistake, into one
    line and an exit code (2 for usage, as Click gives)."""
    try:
        code = app(standalone_mode=False)
    except DigitcamError as exc:
        err.print(f"[bold red]digitcam:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)   # a path may hold [brackets]
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("digitcam: interrupted")
        sys.exit(130)
    except BrokenPipeError:  # the reader of stdout left early (digitcam scan ... | head), as Click does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as exc:  # Click's usage errors; anything else is a bug and keeps its traceback
        if type(exc).__name__ == "NoArgsIsHelpError":   # ``digitcam`` alone: its help, and success
            text = exc.format_message()  # type: ignore[attr-defined]  # Typer's rich help prints itself
            if text.strip():
                print(text)
            sys.exit(0)
        if type(exc).__name__ == "Abort":
            err.print("digitcam: aborted")
            sys.exit(1)
        line = _usage_line(exc)
        if line is None:
            raise
        err.print(line, highlight=False, soft_wrap=True, markup=False)
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    # Without standalone mode Click returns a typer.Exit's code instead of exiting with it.
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)


@app.command()
def live(
    source: Annotated[str, typer.Option("--source", "-s", help="Camera index (0, 1...), video file, folder or glob of images, or a stream URL.")] = "0",
    show: Annotated[bool, typer.Option("--show/--no-show", help="Open a window (needs a display). --no-show runs headless.")] = True,
    save: Annotated[Optional[Path], typer.Option("--save", help="Write the annotated video to this file (.mp4 or .avi).")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one JSON object per frame on stdout.")] = False,
    max_frames: Annotated[Optional[int], typer.Option("--max-frames", min=1, help="Stop after this many frames.")] = None,
    width: Annotated[Optional[int], typer.Option(min=1, help="Ask the camera for this frame width.")] = None,
    height: Annotated[Optional[int], typer.Option(min=1, help="Ask the camera for this frame height.")] = None,
    fps: Annotated[Optional[float], typer.Option(min=1, help="Ask the camera for this frame rate (image folders: playback rate).")] = None,
    mirror: Annotated[bool, typer.Option("--mirror", help="Flip the picture left-right (selfie view).")] = False,
    realtime: Annotated[bool, typer.Option("--realtime", help="Play a video file at its own speed, dropping frames the engine cannot keep up with (cameras always do).")] = False,
    min_confidence: ConfOpt = MIN_CONFIDENCE,
    keep_lone: LoneOpt = False,
    printed: PrintedOpt = True,
    model: ModelOpt = None,
    runtime: RuntimeOpt = Runtime.auto,
    list_cameras: Annotated[bool, typer.Option("--list-cameras", help="Print the camera indices that open, with their resolutions, and exit.")] = False,
) -> None:
    """Hold handwritten digits up to the camera and see them read live.

    Keys in the window: q or Esc quits, space pauses, s saves a snapshot, r starts/stops recording, h hides or shows the key hints.
    """
    from rich.table import Table

    from digitcam.live import LiveOptions, run_live

    if list_cameras:
        from digitcam.sources import list_cameras as find

        cams = find()
        for index, w, h in cams:
            print(f"{index}  {w}x{h}   digitcam live --source {index}")
        if not cams:
            err.print("digitcam: no camera opens at indices 0-9 (none attached, busy in another program, or no permission)", soft_wrap=True)
        raise typer.Exit(0 if cams else 1)

    recognizer = _recognizer(model, runtime, min_confidence, threads=2, keep_lone=keep_lone, printed=printed)
    stats = run_live(recognizer, LiveOptions(source=source, show=show, save=save, jsonl=jsonl, max_frames=max_frames,
                                             mirror=mirror, realtime=realtime, width=width, height=height, fps=fps),
                     log=lambda m: err.print(m, highlight=False, soft_wrap=True))
    t = Table(title=f"digitcam live: {stats.ended}", show_header=False, box=None)
    t.add_row("frames", str(stats.frames))
    t.add_row("average fps", f"{stats.fps:.1f}")
    t.add_row("engine ms/frame", f"{stats.engine_ms / max(stats.frames, 1):.1f}")
    t.add_row("digits seen", str(len(stats.track_ids)))
    common = sorted(stats.numbers.items(), key=lambda kv: -kv[1])[:8]
    t.add_row("numbers seen", "  ".join(k for k, _ in common) or "-")
    if save:
        t.add_row("video", escape(str(save)))
    err.print(t)
    if stats.ended == "camera disconnected":
        raise DigitcamError(f"camera {source} stopped sending frames (disconnected?); {stats.frames} frames were processed")


@app.command()
def bench(
    what: Annotated[str, typer.Option("--what", help="Comma-separated: engine, scan, live.")] = "engine,scan,live",
    frames: Annotated[int, typer.Option(min=5, help="Frames per engine case.")] = 60,
    data: DataOpt = None,
    model: ModelOpt = None,
    runtime: RuntimeOpt = Runtime.auto,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure speed on synthetic frames with known digits: the engine, scan on a folder, live on 720p video."""
    import numpy as np
    from rich.table import Table

    from digitcam import bench as b

    parts = {p.strip() for p in what.split(",") if p.strip()}
    unknown = parts - {"engine", "scan", "live"}
    if unknown:
        raise DigitcamError(f"unknown --what {', '.join(sorted(unknown))}; choose from engine, scan, live", exit_code=2)
    recognizer = _recognizer(model, runtime, MIN_CONFIDENCE, threads=2)
    x, y, origin = b.digit_source(str(data) if data else None, np.random.default_rng(0))
    report: dict = {"machine": b.machine(), "runtime": recognizer.classifier.runtime, "digits": origin}
    out = Console()
    if not as_json:
        out.print(f"machine: {b.describe(report['machine'])}", highlight=False)
    if "engine" in parts:
        rows = b.bench_engine(recognizer, x, y, frames=frames)
        report["engine"] = [r.to_dict() for r in rows]
        if not as_json:
            t = Table(title=f"engine, {recognizer.classifier.runtime} runtime, {origin}", header_style="bold", box=None,
                      pad_edge=False, padding=(0, 1, 0, 0))
            for col in ("scene", "frame", "digits", "found", "ms", "p95", "hyps", "gate", "find", "crops", "model"):
                t.add_column(col, justify="right", no_wrap=True)
            for r in rows:
                t.add_row(r.scene, r.size, str(r.digits), f"{r.found:.1f}", f"{r.median_ms:.1f}", f"{r.p95_ms:.1f}", f"{r.hypotheses:.0f}",
                          f"{r.gate_ms:.1f}", f"{r.find_ms:.1f}", f"{r.candidates_ms + r.crops_ms:.1f}", f"{r.classify_ms:.1f}")
            out.print("ms: median per frame; p95: 95th percentile; hyps: hypotheses the model scored; gate, find, "
                      "crops, model: median ms of those stages", soft_wrap=False)
            out.print(t)
    if "scan" in parts:
        def factory():
            return _recognizer(model, runtime, MIN_CONFIDENCE, photos=True)

        report["scan"] = b.bench_scan(factory, x, y)
        if not as_json:
            s = report["scan"]
            out.print(f"scan: {s['images']} JPEG frames 1280x720 of a page held up, {s['workers']} workers: "
                      f"[bold]{s['images_per_second']} images/s[/], {s['times_decoding']}x the time of decoding them alone "
                      f"(as many threads)")
    if "live" in parts:
        report["live"] = b.bench_live(recognizer, x, y)
        if not as_json:
            lv = report["live"]
            out.print(f"live: {lv['frames']} frames of 1280x720 video, a page of 24 digits held up in front of "
                      f"floorboards, headless with --save: [bold]{lv['fps']} fps[/] end to end (engine {lv['engine_ms']} "
                      f"ms/frame, latency {lv['latency_ms']} ms); digits shown right {lv['shown_right']:.1%}, labels "
                      f"changing {lv['label_changes']:.2%} of frames, {lv['extra_per_frame']} extra digits/frame")
    if as_json:
        print(json.dumps(report, indent=2))


@app.command("draw")
def draw_cmd(
    model: ModelOpt = None,
    runtime: RuntimeOpt = Runtime.auto,
    min_confidence: ConfOpt = 0.3,
    size: Annotated[int, typer.Option(min=200, max=1200, help="Canvas size in pixels.")] = 400,
) -> None:
    """Draw digits with the mouse and watch the model read them (the inspiration app, in a window).

    Left drag draws; right button or c clears; u undoes; + and - (or the wheel) change the pen;
    s saves the canvas and its 28x28 model input; q or Esc quits.
    """
    from digitcam.draw_app import run_draw

    # the canvas holds only what its user drew: a digit alone on it is the subject, however unsure
    run_draw(_recognizer(model, runtime, min_confidence, keep_lone=True), size=size, log=lambda m: err.print(m, highlight=False, soft_wrap=True))

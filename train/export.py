"""Export a trained Keras model for LiteRT, the fast inference runtime."""

from __future__ import annotations

from pathlib import Path

from digitcam.quiet import silenced_output


def export_tflite(model, path: Path) -> Path:
    """Write ``model`` as a ``.tflite`` file (float32, dynamic batch) atomically to ``path``.

    Keras' own LiteRT export (``model.export(format="litert")``) embeds the weights; a
    ``from_concrete_functions`` conversion of a Keras 3 model here produced a file without them.
    """
    path = Path(path)
    tmp = path.with_name(path.stem + ".tmp.tflite")
    with silenced_output():  # Keras prints "Saved artifact at ..."
        model.export(str(tmp), format="litert")
    tmp.replace(path)
    return path

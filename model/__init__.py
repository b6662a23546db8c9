"""The shipped model (installed as ``digitcam.model``): weights, LiteRT export and model card."""

from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL = MODEL_DIR / "mnist_cnn.keras"

"""digitcam: read handwritten digits from a webcam, photos or a drawing canvas."""

__version__ = "0.1.0"

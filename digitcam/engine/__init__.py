"""The reading engine, one module per stage (see :mod:`digitcam.engine.reader`)."""

from digitcam.engine.reader import Recognizer

__all__ = ["Recognizer"]

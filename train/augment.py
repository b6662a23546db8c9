"""Online augmentation of the 28x28 crops, per batch: rotation, scale, shear, shift, stroke
thickness, blur, noise and contrast. (The realistic renders are whole scenes now: see
:mod:`digitcam.train.scenes`.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class AugmentConfig:
    rotation_deg: float = 10.0
    zoom: float = 0.1
    shift: float = 0.08
    shear: float = 0.15
    p_thickness: float = 0.3
    p_blur: float = 0.15
    p_contrast: float = 0.3
    p_noise: float = 0.3
    noise_std: float = 0.04
    contrast_low: float = 0.6
    scenes: int = 1600                # rendered scenes whose hypotheses are training samples
    max_negatives_per_scene: int = 30
    world_scenes: int = 0             # frames of digit-free photographs alone (train --backdrops): every
                                      # hypothesis on them is "not a digit"
    turned: int = 15000               # digits turned by 90, 180 or 270 degrees, taught as what they
                                      # then are (see turned_digits): what makes orientation decidable

    def to_dict(self) -> dict:
        return asdict(self)


def keras_augmenter(config: AugmentConfig, seed: int = 0):
    """A Keras layer stack that augments batches of (N, 28, 28, 1) digits in [0, 1]."""
    import keras
    import tensorflow as tf
    from keras import layers

    geometric = keras.Sequential([
        layers.RandomRotation(config.rotation_deg / 360.0, fill_mode="constant", seed=seed),
        layers.RandomZoom(config.zoom, fill_mode="constant", seed=seed + 1),
        layers.RandomShear(x_factor=config.shear, y_factor=0.0, fill_mode="constant", seed=seed + 2),
        layers.RandomTranslation(config.shift, config.shift, fill_mode="constant", seed=seed + 3),
    ], name="geometric")

    def photometric(x):
        n = tf.shape(x)[0]
        pick = lambda p: tf.cast(tf.random.uniform((n, 1, 1, 1)) < p, x.dtype)  # noqa: E731
        thick = tf.nn.max_pool2d(x, 3, 1, "SAME")
        thin = -tf.nn.max_pool2d(-x, 2, 1, "SAME")
        p = config.p_thickness / 2
        x = x + pick(p) * (thick - x)
        x = x + pick(p) * (thin - x)
        blurred = tf.nn.avg_pool2d(x, 3, 1, "SAME")
        x = x + pick(config.p_blur) * (blurred - x)
        dim = tf.random.uniform((n, 1, 1, 1), config.contrast_low, 1.0)
        x = x * (1.0 + pick(config.p_contrast) * (dim - 1.0))
        x = x + tf.random.normal(tf.shape(x), 0, config.noise_std) * pick(config.p_noise)
        return tf.clip_by_value(x, 0.0, 1.0)

    def augment(x):
        return photometric(geometric(x, training=True))

    return augment


# What a digit turned clockwise by 90, 180 or 270 degrees reads as: upside down a 6 is a 9 and a
# 9 a 6; 0, 1 and 8 read the same (left out: they teach nothing about orientation); on its side
# no digit is a digit (a 1 is a dash, an 8 an infinity sign), except a 0 (an oval) left out.
_TURNED_AS = {
    180: {2: None, 3: None, 4: None, 5: None, 6: 9, 7: None, 9: 6},
    90: {d: None for d in range(1, 10)},
    270: {d: None for d in range(1, 10)},
}


def turned_digits(digits, contexts, labels, count: int, not_a_digit: int, seed: int = 0):
    """``count`` digits (and their contexts) turned by 90, 180 or 270 degrees, labelled with what
    the turned shape is: the other digit (6 and 9 upside down) or ``not_a_digit``. Taught beside
    the upright digits, they make the model's summed confidence over a page tell its orientation
    (engine.orientation) and keep turned strokes of text and textures from reading as digits."""
    import numpy as np

    rng = np.random.default_rng(seed)
    turns = rng.choice([90, 180, 270], size=count)
    pick = rng.integers(0, len(labels), size=count)
    out_d, out_c, out_y = [], [], []
    for turn, i in zip(turns, pick):
        target = _TURNED_AS[int(turn)].get(int(labels[i]), "skip")
        if target == "skip":
            continue
        k = -int(turn) // 90   # np.rot90 turns counter-clockwise
        out_d.append(np.rot90(digits[i], k))
        out_c.append(np.rot90(contexts[i], k))
        out_y.append(not_a_digit if target is None else target)
    return (np.array(out_d, np.float32).reshape(-1, *digits.shape[1:]), np.array(out_c, np.float32).reshape(-1, *contexts.shape[1:]),
            np.array(out_y, np.int32))

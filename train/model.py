"""The CNN: four 3x3 convolutions in two blocks, batch norm, dropout, an 11-way softmax.

Classes 0-9 are the digits; class 10 is "not a digit" (ruled lines, specks, letters, blobs,
page edges), so the engine can reject what the region finder wrongly proposes.
"""

from __future__ import annotations

NUM_CLASSES = 11
NOT_A_DIGIT = 10


def build_cnn(num_classes: int = NUM_CLASSES, seed: int = 0):
    """A small, fast CNN (about 0.2 M parameters) for 28x28x1 inputs in [0, 1]."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)

    def conv(x, filters):
        x = layers.Conv2D(filters, 3, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)

    inputs = keras.Input((28, 28, 1), name="digit")
    x = conv(inputs, 32)
    x = conv(x, 32)
    x = layers.MaxPooling2D()(x)
    x = layers.Dropout(0.1)(x)
    x = conv(x, 64)
    x = conv(x, 64)
    x = layers.MaxPooling2D()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.4)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="digitcam_cnn")

"""The CNN: a digit reader, and a context branch that decides with it whether a region is a digit.

Two inputs, two heads (both 11-way softmaxes: the digits 0-9 and "not a digit"):

* ``crop`` head: four 3x3 convolutions in two blocks on the 28x28 MNIST-normalised crop, batch
  norm, dropout, a dense layer. It reads the digit, as a classic MNIST convnet does.
* ``context`` head: the crop's features joined with a small strided convnet over the 32x32
  context (the region's surroundings, see :mod:`digitcam.engine.crops`). The engine decides
  with this head; the crop head is kept to measure what the context buys (``digitcam eval``).

For inference both heads are concatenated into one (N, 22) output, so one call gives both.
"""

from __future__ import annotations

NUM_CLASSES = 11
NOT_A_DIGIT = 10
MEMBER = "member_{}"   # the name of an ensemble's i-th member model (digitcam.train.ensemble)


def build_cnn(num_classes: int = NUM_CLASSES, seed: int = 0):
    """The training model: inputs ``digit`` and ``context``, outputs ``context`` and ``crop``."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)

    def conv(x, filters, strides=1, padding="valid"):
        x = layers.Conv2D(filters, 3, strides=strides, padding=padding, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.Activation("relu")(x)

    digit = keras.Input((28, 28, 1), name="digit")
    x = conv(digit, 32)
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
    features = layers.Activation("relu")(x)
    crop_out = layers.Dense(num_classes, activation="softmax", name="crop")(layers.Dropout(0.4)(features))

    context = keras.Input((32, 32, 1), name="context")
    c = conv(context, 16, 2, "same")
    c = conv(c, 32, 2, "same")
    c = conv(c, 48, 2, "same")
    c = layers.Flatten()(c)
    c = layers.Dropout(0.2)(c)
    c = layers.Dense(64, activation="relu")(c)
    joined = layers.Concatenate()([features, c])
    joined = layers.Dense(96, activation="relu")(joined)
    context_out = layers.Dense(num_classes, activation="softmax", name="context_probs")(layers.Dropout(0.3)(joined))
    return keras.Model({"digit": digit, "context": context}, {"context": context_out, "crop": crop_out}, name="digitcam_cnn")


def inference_model(model):
    """The served model: the same layers, both heads side by side in one (N, 22) output."""
    import keras
    from keras import layers

    outs = model.output
    joined = layers.Concatenate(name="probs")([outs["context"], outs["crop"]])
    return keras.Model([model.input["digit"], model.input["context"]], joined, name="digitcam_reader")


def training_model(served):
    """The training model of a served one (the same layers, so the same weights): inputs
    ``digit`` and ``context``, outputs ``context`` and ``crop``; for fine-tuning a trained model."""
    import keras
    from keras import layers

    digit, context = served.inputs
    members = members_of(served)
    if members == [served]:
        return keras.Model({"digit": digit, "context": context},
                           {"context": served.get_layer("context_probs").output, "crop": served.get_layer("crop").output},
                           name="digitcam_cnn")
    # an ensemble (digitcam.train.ensemble): each member's heads, averaged as it serves them
    heads = [keras.Model(m.inputs, [m.get_layer("context_probs").output, m.get_layer("crop").output], name=m.name)([digit, context])
             for m in members]
    return keras.Model({"digit": digit, "context": context},
                       {"context": layers.Average(name="context_mean")([h[0] for h in heads]),
                        "crop": layers.Average(name="crop_mean")([h[1] for h in heads])}, name="digitcam_cnn")


def members_of(served) -> list:
    """The member models of a served ensemble (digitcam.train.ensemble); ``[served]`` for a single model."""
    import keras

    prefix = MEMBER.format("")
    found = [layer for layer in served.layers if isinstance(layer, keras.Model) and layer.name.startswith(prefix)]
    return found or [served]

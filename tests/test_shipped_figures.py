"""The figures the README quotes, re-measured on the data this project may not ship.

They need the full MNIST and the labelled real photos in ../shared (present in this project's
CI); elsewhere they are skipped. The photo figures are floors measured on the 55-photo dev set
of round 2 (`digitcam eval --labels ../shared/realdigits/manifest.json --negatives DIR`): they
may only rise. The per-kind floors keep one kind of scene from getting worse unseen behind the
overall figure.
"""

import json

import pytest

from conftest import FULL_MNIST, ROOT, run_cli

PHOTOS = ROOT.parent / "shared" / "realdigits" / "manifest.json"

# measured with the shipped model (README, "Figures"); floors a little under the measurement.
# Thirty-first session (2026-12-08): where nearest neighbours agree on no lean, every near pair of
# digits votes (engine.tilt.measure_pairs), and a levelled reading keeps only what it reads inside
# the frame. Photos F1 0.958 -> 0.959 (a photo of six digits read levelled by its pairs reads its
# sixth), precision 0.973, recall 0.943 -> 0.945; photo_paper 0.977 -> 0.979, the other kinds as
# before; false digits 0.24 per photo, 0.49 per painted-out photo, 0.00 per digit-free photo; turned
# 0.948 / 0.943 / 0.937 -> 0.949 / 0.944 / 0.937; turned within the frame by 15 and 30 degrees
# (eval --tilt, new) 0.905 -> 0.924 and 0.870 -> 0.880. Floors raised: F1 0.955 -> 0.956, recall
# 0.941 -> 0.942, photo_paper 0.975 -> 0.977, turned 0.943 / 0.94 / 0.933 -> 0.945 / 0.941 /
# 0.935; tilted floors new; the others stay.
# Twenty-eighth session (2026-12-07): a flat region of dark ink is also read stretched taller,
# its context alike (engine.crops.FLAT), and counts where it reads at 0.97 or more
# (engine.select.FLAT_SURE): the webcam frames' 0 lying flat on the desk reads. Photos F1 0.957 ->
# 0.958, precision 0.973, recall 0.942 -> 0.943; webcam 0.857 -> 1.000, the other kinds as before;
# false digits 0.24 per photo, 0.49 per painted-out photo, 0.00 per digit-free photo; turned
# 0.948 / 0.943 / 0.937. Floors raised: F1 0.954 -> 0.955, recall 0.940 -> 0.941, webcam 0.85 ->
# 0.99; the others stay.
# Twenty-sixth session (2026-12-07): the closer look (digits under 22 px) reads only the part of
# the frame around the digits read so far (engine.scale.closer_box), with the frame's hypothesis
# budget by the part's share (engine.reader.PART_FLOOR). Photos F1 0.956 -> 0.957, precision
# 0.969 -> 0.973, recall 0.942; cluttered 0.945 -> 0.948 (HYPJUDY__3: one digit fewer, two false
# digits fewer), the other kinds as before; false digits 0.27 -> 0.24 per photo, 0.49 per
# painted-out photo, 0.00 per digit-free photo; turned 0.947 / 0.943 / 0.937. Floors raised: F1
# 0.953 -> 0.954, precision 0.967 -> 0.97, cluttered 0.94 -> 0.944; the ceiling on false digits
# per photo falls 0.28 -> 0.25; the others stay.
# Twenty-fifth session (2026-12-07): a region narrower than a third of its height is also read
# twice as wide (engine.crops.NARROW: a narrow writer's 7s and 9s), and a frame smeared by motion
# is read deconvolved (engine.motion, which takes no dev photo for smeared). Photos F1 0.951 ->
# 0.956, precision 0.969, recall 0.933 -> 0.943; cluttered 0.932 -> 0.945, photo_paper 0.975 ->
# 0.977, the other kinds as before; false digits 0.27 per photo, 0.49 per painted-out photo, 0.00
# per digit-free photo; turned 90, 180 and 270 degrees 0.942 / 0.937 / 0.930 -> 0.946 / 0.943 /
# 0.936. Floors raised: F1 0.948 -> 0.953, recall 0.930 -> 0.940, cluttered 0.93 -> 0.94,
# photo_paper 0.973 -> 0.975, turned 0.94 / 0.935 / 0.928 -> 0.943 / 0.94 / 0.933; the others stay.
# Twenty-fourth session (2026-12-07): a frame out of focus is read sharpened (engine.focus).
# Every dev photo scores as before (F1 0.951, precision 0.969, recall 0.933, every kind and turn
# the same); false digits per painted-out photo 0.89 -> 0.49 (a photo painted out has lost its
# sharpest edges, the ink's, and is read sharpened: the whiteboard's words 23 -> 4). The ceiling
# on it falls 0.91 -> 0.52; the others stay.
# Twentieth session (2026-12-06): on a dark frame the paper's level is measured at a ninth of the
# frame, not a sixth (engine.ink.DIM_PART): a page held up in a dim room keeps its corners and
# edges. Photos F1 0.951, precision 0.969, recall 0.933; cluttered 0.932, the other kinds as
# before; false digits 0.27 per photo, 0.89 per painted-out photo, 0.00 per digit-free photo;
# package photographs 3 of 19; turned 90, 180 and 270 degrees 0.942, 0.937 and 0.930. Floors
# raised: F1 0.945 -> 0.948, recall 0.925 -> 0.930, cluttered 0.92 -> 0.93, turned 0.935 / 0.93
# / 0.925 -> 0.94 / 0.935 / 0.928; the others stay, but for one ceiling that rises: false digits
# per photo 0.27 -> 0.28 (14 -> 15 of 55 photos; a mousepad's printed MOUSE, turned, gives an M
# read as a 3 while three digits more are read; precision stays 0.969, over its floor).
# Nineteenth session (2026-12-06): on ruled or squared paper, a rule's pixel twice as dark as the
# page's rules is a pen's stroke along it and stays (engine.ink.RULE_DARKER). Photos F1 0.948,
# precision 0.969, recall 0.928; cluttered 0.922, photo_paper 0.975, the other kinds as before;
# false digits 0.25 per photo, 0.94 per painted-out photo, 0.00 per digit-free photo; package
# photographs 3 of 19; turned 90, 180 and 270 degrees 0.938, 0.934 and 0.927. Floors raised: F1
# 0.940 -> 0.945, precision 0.965 -> 0.967, recall 0.918 -> 0.925, cluttered 0.91 -> 0.92,
# photo_paper 0.969 -> 0.973, turned 0.93 / 0.925 / 0.918 -> 0.935 / 0.93 / 0.925; then a family's rule goes along its
# whole line on the same sheet (engine.ink.WHOLE_LINE): every reading the same, false digits per
# painted-out photo 0.94 -> 0.89, so that ceiling falls 0.96 -> 0.91; the others stay.
# Eighteenth session (2026-12-06): a 1 whose straight stroke's line runs on past both its ends is
# a piece of a line (engine.lines). Every dev, painted-out, digit-free (22) and turned reading
# exactly as in the seventeenth session (F1 0.943, precision 0.965, recall 0.922; turned 0.933 /
# 0.928 / 0.922; package photographs 3 of 19), so every floor and ceiling stays; the stage's own
# check is tests/test_engine_scenes.py (rendered wire-frames).
# Seventeenth session (2026-12-04): a page whose digits needed a closer look is read levelled at
# that scale (engine.tilt via reader), pieces of one broken digit count as one letter
# (engine.words), strokes along a page's rules stay (engine.ink), a lone unsure digit is dropped
# (engine.alone). Photos F1 0.943, precision 0.965, recall 0.922; cluttered 0.912, the other
# kinds as before; false digits 0.25 per photo, 0.94 per painted-out photo, 0.00 per digit-free
# photo; turned 90, 180 and 270 degrees 0.933, 0.928 and 0.922. Floors raised: F1 0.938 ->
# 0.940, recall 0.912 -> 0.918, cluttered 0.90 -> 0.91, turned 0.925 / 0.92 / 0.91 -> 0.93 /
# 0.925 / 0.918; the others stay.
# Fourteenth session (2026-12-03): a small digit far from any other is a speck of the scene
# (engine.alone). Photos F1 0.941, precision 0.967, recall 0.917; photo_paper 0.971, webcam
# 0.857 (its one false digit gone), the other kinds as before; false digits 0.25 per photo, 0.94
# per painted-out photo, 0.00 per digit-free photo; turned 90, 180 and 270 degrees 0.931, 0.926
# and 0.919. Floors raised: F1 0.936 -> 0.938, precision 0.96 -> 0.965, photo_paper 0.966 ->
# 0.969, webcam 0.74 -> 0.85; the ceilings on false digits per photo fall 0.31 -> 0.27 and per
# painted-out photo 1.09 -> 0.96; the others stay.
# Thirteenth session (2026-12-03): a turn is decided by the digits read at 0.99 or more that tell
# their orientation, not by summed confidence (engine.orientation). Upright readings as in the
# twelfth session; false digits per digit-free photo 0.05 -> 0.00; turned 90, 180 and 270 degrees
# 0.930, 0.925 and 0.918 (0.904, 0.895 and 0.895 before). Floors raised: turned by 90 degrees
# 0.90 -> 0.925, by 180 degrees 0.89 -> 0.92, and by 270 degrees (0.91) added; the ceiling on
# false digits per digit-free photo falls 0.1 -> 0.05 (one of the 22).
# Twelfth session (2026-12-03): a digit read from part of its strokes gives way to the whole that
# reads the same digit (engine.select._whole_over_parts). Photos F1 0.939, precision 0.963,
# recall 0.917; photo_paper 0.969 (false digits 0.12 -> 0.09 a photo), the other kinds as before;
# false digits 0.29 per photo, 1.06 per painted-out photo, 0.05 per digit-free photo; true boxes
# alone 93.0%; turned 90 and 180 degrees 0.904 and 0.895. Floors raised: precision 0.955 -> 0.96,
# photo_paper 0.965 -> 0.966; the ceiling on false digits per photo falls 0.34 -> 0.31; the
# others stay.
# Eleventh session (2026-12-03): a photo splits twice a camera frame's wide regions into pieces
# (crops.PHOTO_PIECES), and a stroke under a quarter as wide as tall is no letter
# (words.MIN_LETTER_ASPECT 0.25). Photos F1 0.939, precision 0.962, recall 0.917; cluttered
# 0.905, photo_paper 0.968, the other kinds as before; false digits 0.31 per photo, 1.06 per
# painted-out photo, 0.05 per digit-free photo; true boxes alone 93.0%; turned 90 and 180 degrees
# 0.904 and 0.895. Floors raised: F1, recall, cluttered, photo_paper, turned; the others stay.
# Tenth session (2026-12-03): a lean a fifth of the votes share is levelled (tilt.AGREEMENT 0.25
# -> 0.2). Every dev reading, digit-free reading and turned reading the same as in the ninth, so
# every floor stays.
# Ninth session (2026-12-03): crops computed faster bit for bit, and a row of digits on squared
# paper no longer taken for a rule. Every dev reading the same (F1 0.933, each kind as in the
# eighth session); false digits per painted-out photo 1.09 -> 1.06, so that ceiling falls to 1.09;
# turned 90 and 180 degrees 0.898 and 0.889; the others stay.
# Eighth session (2026-12-03): the default least confidence 0.6 -> 0.65 (detections.MIN_CONFIDENCE,
# of the dev set's best-F1 plateau the value that costs rendered held-up pages least), and a lone
# digit no longer orphans the touching digits of its region (engine.select._absorb). Photos F1
# 0.933, precision 0.961, recall 0.907; per kind canvas 1.000, cluttered 0.898, photo_paper 0.962,
# webcam 0.750, whiteboard 0.789; false digits 0.31 per photo, 1.09 per painted-out photo, 0.05
# per digit-free photo; true boxes alone 93.0%; turned 90 and 180 degrees 0.898 and 0.889. Floors
# raised: F1, precision, recall, cluttered, photo_paper, whiteboard, false digits per photo and
# per painted-out photo, turned; the others stay.
# Seventh session (2026-12-03): the gate (engine.gate) reads every dev photo exactly as before, so
# every floor stays; added: it reads all 50 dev photos it applies to (lowest score 0.43 against
# its threshold 0.27) and skips 11 of the 22 digit-free images (floor 10).
# Sixth session (2026-12-02): rules of a page followed one by one where they form a family, and
# the prefilter's ink contrast capped at 0.3. Photos F1 0.925, precision 0.951, recall 0.900; per
# kind canvas 1.000, cluttered 0.888, photo_paper 0.958, webcam 0.750, whiteboard 0.750; false
# digits 0.42 per photo, 1.20 per painted-out photo, 0.05 per digit-free photo; true boxes alone
# 93.0%; turned by 90 and 180 degrees 0.892 and 0.882. Floors raised: F1, precision, whiteboard,
# false digits per photo and per painted-out photo; the others stay (photo_paper fell by 0.002:
# one digit now found and misread; still above its floor).
# Fifth session (2026-12-02): the same figures to the last digit (its changes are speed that
# keeps every reading; its model and prefilter experiments were not shipped), so every floor stays.
# Round 2, fourth session (2026-12-02), scan's defaults (--rotation auto): MNIST 99.67%; photos
# F1 0.920, precision 0.942, recall 0.899; per kind canvas 1.000, cluttered 0.887, photo_paper
# 0.960, webcam 0.750, whiteboard 0.690; false digits 0.55 per photo, 1.40 per painted-out photo,
# 0.05 per digit-free photo; true boxes alone 93.0%. Every floor rose or stayed against the third
# session's (F1 0.919): rules are removed at two leans, rows and columns apart. (Third session:
# both model heads decide together, digits inside words of letters are dropped, leaning rules are
# removed, 0, 1 and 8 no longer turn a photo of coins, the prefilter refitted.)
MNIST_TEST = 0.996
OVERALL = {"f1": 0.956, "precision": 0.97, "recall": 0.942}
PER_KIND_F1 = {"canvas": 0.99, "cluttered": 0.944, "photo_paper": 0.977, "webcam": 0.99, "whiteboard": 0.78}
MAX_FALSE_PER_IMAGE = 0.25
MAX_FALSE_PER_PAINTED_OUT_PHOTO = 0.52
MAX_FALSE_PER_NEGATIVE_PHOTO = 0.05
MIN_CROP_ACCURACY = 0.93


@pytest.mark.skipif(not FULL_MNIST.exists(), reason="full MNIST not at ../shared/data/mnist.npz")
def test_shipped_model_on_the_full_mnist_test_set(tmp_path):
    proc = run_cli("eval", "--data", str(FULL_MNIST), "--json", "--errors", str(tmp_path / "errors.png"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["count"] == 10000
    assert report["accuracy"] >= MNIST_TEST, report["accuracy"]
    assert (tmp_path / "errors.png").stat().st_size > 0


@pytest.fixture(scope="module")
def negatives(tmp_path_factory):
    from digitcam.train.negatives import write_negatives

    folder = tmp_path_factory.mktemp("negatives")
    write_negatives(folder)
    return folder


@pytest.mark.skipif(not PHOTOS.exists(), reason="labelled photos not at ../shared/realdigits")
def test_engine_on_the_labelled_real_photos(negatives):
    proc = run_cli("eval", "--labels", str(PHOTOS), "--negatives", str(negatives), "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["images"] == 55 and r["digits"] == 601
    for key, floor in OVERALL.items():
        assert r[key] >= floor, (key, r[key], floor)
    for kind, floor in PER_KIND_F1.items():
        assert r["kinds"][kind]["f1"] >= floor, (kind, r["kinds"][kind], floor)
    assert r["false_positives_per_image"] <= MAX_FALSE_PER_IMAGE, r["false_positives_per_image"]
    assert r["false_positives_per_digit_free_image"] <= MAX_FALSE_PER_PAINTED_OUT_PHOTO, r["false_positives_per_digit_free_image"]
    assert r["negatives"]["false_digits_per_image"] <= MAX_FALSE_PER_NEGATIVE_PHOTO, r["negatives"]["false_digits_per_image"]
    assert r["crop_accuracy"] >= MIN_CROP_ACCURACY, r["crop_accuracy"]


# the dev photos turned (pixels and boxes), read with scan's default --rotation auto (measured:
# 0.888 and 0.877 at 90 and 180 degrees, against 0.920 upright, in the fourth session; 0.898 and
# 0.889 against 0.933 in the eighth, 0.904 and 0.895 against 0.939 in the eleventh, 0.933, 0.928
# and 0.922 against 0.943 in the seventeenth, 0.938, 0.934 and 0.927 against 0.948 in the
# nineteenth, 0.946, 0.943 and 0.936 against 0.956 in the twenty-fifth: floors raised; 0.947, 0.943
# and 0.937 against 0.957 in the twenty-sixth: floors stay)
TURNED_F1 = {90: 0.945, 180: 0.941, 270: 0.935}
# ... and turned within their own frame (a camera turned against the page; eval --tilt; only the
# digits wholly in view count): measured 0.924 and 0.880 at 15 and 30 degrees in the thirty-first
# session (0.905 and 0.870 where only nearest neighbours measured the lean)
TILTED_F1 = {15: 0.92, 30: 0.875}
TURNS = [("--turn", turn, floor) for turn, floor in sorted(TURNED_F1.items())] + \
        [("--tilt", tilt, floor) for tilt, floor in sorted(TILTED_F1.items())]


@pytest.mark.skipif(not PHOTOS.exists(), reason="labelled photos not at ../shared/realdigits")
@pytest.mark.parametrize("option, degrees, floor", TURNS)
def test_turned_photos_are_read_upright_and_tilted_ones_levelled(option, degrees, floor):
    proc = run_cli("eval", "--labels", str(PHOTOS), option, str(degrees), "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["f1"] >= floor, (option, degrees, r["f1"])


GATE_SKIPS_NEGATIVES = 10   # of the 22 digit-free images of digitcam.train.negatives (measured 11)


@pytest.mark.skipif(not PHOTOS.exists(), reason="labelled photos not at ../shared/realdigits")
def test_the_gate_reads_every_dev_photo_and_skips_digit_free_texture(negatives):
    from digitcam.engine.gate import applies, load_gate
    from digitcam.evaluate import load_manifest
    from digitcam.images import read_image
    from digitcam.model import MODEL_DIR
    from digitcam.normalise import to_gray

    gate = load_gate(MODEL_DIR)
    if gate is None:
        pytest.skip("no gate shipped beside the model (or no LiteRT)")
    root, entries = load_manifest(PHOTOS)
    gated = 0
    for e in entries:
        gray = to_gray(read_image(root / e["file"]))
        if applies(gray.shape) and e["boxes"]:
            gated += 1
            assert gate.sees_digits(gray), e["file"]
    assert gated >= 45, gated
    skipped = sum(not gate.sees_digits(to_gray(read_image(p))) for p in sorted(negatives.iterdir()))
    assert skipped >= GATE_SKIPS_NEGATIVES, skipped


# The 19 photographs that ship with scikit-image and matplotlib (digitcam.train.scenes: the 14
# training backdrops that install, and 5 never trained on), read with scan's defaults: 8 false
# digits in the thirteenth session, 4 in the fourteenth (engine.alone drops the Hubble deep
# field's lone stars). A ceiling that only falls.
MAX_FALSE_PER_PACKAGE_PHOTO = 0.22


def test_false_digits_on_the_photographs_that_ship_with_the_packages(tmp_path):
    import cv2

    from digitcam.train.scenes import _package_photos, held_out_photos

    photos = [*_package_photos(), *(im for _, im in held_out_photos())]
    for i, im in enumerate(photos):
        cv2.imwrite(str(tmp_path / f"photo{i:02d}.png"), im)
    proc = run_cli("eval", "--negatives", str(tmp_path), "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)["negatives"]
    assert r["images"] == 19, r["images"]
    assert r["false_digits_per_image"] <= MAX_FALSE_PER_PACKAGE_PHOTO, [(p["file"], p["read"]) for p in r["per_image"] if p["false_digits"]]

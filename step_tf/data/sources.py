"""One way in for data: a short text spec names a source and returns a ``GaitSet``.

Specs (what ``python -m step_tf.fit --data`` takes):

* ``embedded`` or ``embedded:N`` or ``embedded:N:SEED`` -- the embedded synthetic
  set (``step_tf.data.synthetic``), 2,000 gaits with seed 0 by default;
* ``egait:FEATURES.h5,LABELS.h5`` -- an E-Gait features/labels pair;
* ``bvh:DIR`` or ``bvh:DIR,LABELS.json`` -- a folder of BVH clips, labelled by a
  JSON object mapping file names to label names, or from the words of each
  file name (``walk_angry_001.bvh`` is angry) when no map is given; a trailing
  ``,joint_map=MAP.json`` (a JSON object of STEP joint name -> BVH joint name)
  reads a rig other than the Bandai-Namco one;
* ``bandai:DIR`` -- the forward walks of the Bandai-Namco Research Motion
  dataset-1 (angry, normal as neutral, happy, sad; ``step_tf.data.bandai``) in the
  folder of BVH files a user downloaded, 75-frame windows every 15 frames, grouped
  by clip; ``bandai:DIR,STRIDE`` sets the window stride;
* ``keypoints:FILE.npz,layout=NAME[,units=m|cm|mm][,up=y|z|-y][,stride=S]`` -- 3D
  keypoints of another skeleton layout (``coco17``, ``h36m17``, ``blazepose33``,
  ``body25``, ``kinect_v2``, ``step16``) converted to the 16 STEP joints and cut
  into 75-frame windows every S (15) frames (``step_tf.data.skeletons``);
* ``tfrecord:GLOB`` -- TFRecord shards of ``tf.train.Example`` gaits
  (``step_tf.data.tfrecord``; ``python -m pipelines.step_aug`` writes them),
  e.g. ``tfrecord:out/example_gen/examples/gaits-*.tfrecord``; gaits sorted by key.

Every source is checked for plausibility (``step_tf.data.plausibility``): gaits
tiled from fewer than 15 real frames and gaits not in metres are errors unless
``plausibility_check=False``. ``label_names`` name the label ids of the files
read; the embedded set has its own (angry, neutral, happy, sad), and other
names for it are refused rather than ignored.
"""

from __future__ import annotations

import json
import pathlib

from step_tf.data.gaits import EMOTIONS, GaitSet
from step_tf.data.plausibility import check_units

DEFAULT_EMBEDDED_GAITS = 2000


def _json_object(path: str, what: str, shape: str) -> dict:
    """A JSON object of strings read from ``path``; errors name the file."""
    try:
        value = json.loads(pathlib.Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read the {what} ({error})") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{path}: the {what} must be a JSON object of {shape}")
    return value


def load_gaits(spec: str, label_names: tuple[str, ...] | None = None, plausibility_check: bool = True) -> GaitSet:
    """The gaits a data spec names (see the module docstring), checked for plausibility unless told not to."""
    gaits = _read(spec, label_names, plausibility_check)
    if plausibility_check:
        check_units(gaits.joints, gaits.keys, f"data {spec!r}")
    return gaits


def _read(spec: str, label_names: tuple[str, ...] | None, plausibility_check: bool) -> GaitSet:
    kind, _, argument = spec.partition(":")
    names = tuple(label_names) if label_names else EMOTIONS
    if kind == "embedded":
        from step_tf.data.synthetic import generate_gaits

        parts = argument.split(":") if argument else []
        try:
            num_gaits = int(parts[0]) if parts else DEFAULT_EMBEDDED_GAITS
            seed = int(parts[1]) if len(parts) > 1 else 0
        except ValueError:
            raise ValueError(f"data spec {spec!r}: expected embedded[:NUM_GAITS[:SEED]] with whole numbers") from None
        if len(parts) > 2 or num_gaits < 1:
            raise ValueError(f"data spec {spec!r}: expected embedded[:NUM_GAITS[:SEED]] with a positive gait count")
        # The synthetic walks are generated per emotion, so renaming their classes would mislabel them.
        if label_names and tuple(label_names) != EMOTIONS:
            raise ValueError(
                f"data spec {spec!r}: label names {', '.join(label_names)} do not apply: the embedded set's classes are "
                f"{', '.join(EMOTIONS)}; give --label-names only for files whose label ids they name"
            )
        return generate_gaits(num_gaits=num_gaits, seed=seed)
    if kind == "egait":
        from step_tf.data.egait import read_egait

        paths = [p for p in argument.split(",") if p]
        if len(paths) != 2:
            raise ValueError(f"data spec {spec!r}: expected egait:FEATURES.h5,LABELS.h5")
        return read_egait(paths[0], paths[1], label_names=names, plausibility_check=plausibility_check)
    if kind == "bvh":
        from step_tf.data.bvh import read_bvh_folder

        parts = [p for p in argument.split(",") if p]
        # A rig other than Bandai-Namco's: joint_map=MAP.json names one BVH joint per STEP joint.
        map_parts = [p for p in parts if p.startswith("joint_map=")]
        parts = [p for p in parts if not p.startswith("joint_map=")]
        if len(parts) not in (1, 2) or len(map_parts) > 1 or any("=" in p for p in parts):
            raise ValueError(f"data spec {spec!r}: expected bvh:DIR[,LABELS.json][,joint_map=MAP.json]")
        labels = _json_object(parts[1], "BVH label map", "file name -> label name") if len(parts) == 2 else None
        options = {}
        if map_parts:
            map_path = map_parts[0].partition("=")[2]
            options["joint_map"] = _json_object(map_path, "BVH joint map", "STEP joint name -> BVH joint name")
        return read_bvh_folder(parts[0], labels=labels, label_names=names, plausibility_check=plausibility_check, **options)
    if kind == "bandai":
        from step_tf.data.bandai import DEFAULT_STRIDE, read_bandai_walks

        parts = [p for p in argument.split(",") if p]
        try:
            stride = int(parts[1]) if len(parts) == 2 else DEFAULT_STRIDE
        except ValueError:
            stride = 0
        if len(parts) not in (1, 2) or stride < 1:
            raise ValueError(f"data spec {spec!r}: expected bandai:DIR or bandai:DIR,STRIDE (a positive number of frames)")
        return read_bandai_walks(parts[0], stride=stride, label_names=names, plausibility_check=plausibility_check)
    if kind == "keypoints":
        from step_tf.data.skeletons import DEFAULT_STRIDE as KEYPOINT_STRIDE
        from step_tf.data.skeletons import load_keypoints

        usage = "expected keypoints:FILE.npz,layout=NAME[,units=m|cm|mm][,up=y|z|-y][,stride=FRAMES]"
        path, *pairs = [p for p in argument.split(",") if p] or [""]
        options = {}
        for pair in pairs:
            name, equals, value = pair.partition("=")
            if not equals or name not in ("layout", "units", "up", "stride") or name in options:
                raise ValueError(f"data spec {spec!r}: unknown or repeated option {pair!r}; {usage}")
            options[name] = value
        if not path or "=" in path or "layout" not in options:
            raise ValueError(f"data spec {spec!r}: {usage}")
        try:
            stride = int(options.pop("stride", KEYPOINT_STRIDE))
        except ValueError:
            stride = 0
        if stride < 1:
            raise ValueError(f"data spec {spec!r}: stride must be a positive number of frames")
        return load_keypoints(path, stride=stride, label_names=names, plausibility_check=plausibility_check, **options)
    if kind == "tfrecord":
        from step_tf.data.tfrecord import read_tfrecord_gaits

        if not argument:
            raise ValueError(f"data spec {spec!r}: expected tfrecord:GLOB, e.g. tfrecord:data/gaits-*.tfrecord")
        return read_tfrecord_gaits(argument, label_names=names, plausibility_check=plausibility_check)
    raise ValueError(
        f"unknown data spec {spec!r}; expected embedded[:N[:SEED]], egait:FEATURES.h5,LABELS.h5, bvh:DIR[,LABELS.json][,joint_map=MAP.json], bandai:DIR[,STRIDE], keypoints:FILE.npz,layout=NAME[,...] or tfrecord:GLOB"
    )

"""``tools/import_graph.py``: step_tf has no import cycle and no upward import (no TensorFlow needed)."""

import pathlib
import subprocess
import sys

import pytest

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
TOOL = REPOSITORY / "tools" / "import_graph.py"


def run_tool(*arguments) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *arguments], capture_output=True, text=True, timeout=120)


def test_step_tf_has_no_cycle_and_no_upward_import():
    result = run_tool()
    assert result.returncode == 0, result.stderr
    assert "step_tf.training.loop -> " in result.stdout  # the graph is printed, function-level imports included
    assert "modules," in result.stdout


def write(root: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    """A tree of ``files`` under ``root``, with an empty ``__init__.py`` in every folder."""
    for name, text in files.items():
        path = root / name
        for folder in path.relative_to(root).parents[:-1]:
            (root / folder).mkdir(parents=True, exist_ok=True)
            (root / folder / "__init__.py").touch()
        path.write_text(text)
    return root


@pytest.mark.parametrize("files, problem", [
    ({"step_tf/training/optimizers.py": "", "step_tf/models/stepgen.py": "def f():\n    from step_tf.training import optimizers\n"},
     "upward import: step_tf.models.stepgen (layer 3) -> step_tf.training.optimizers (layer 6)"),
    ({"step_tf/training/loop.py": "def f():\n    from step_tf.training.generator import g\n",
      "step_tf/training/generator.py": "from step_tf.training.loop import f\n"},
     "import cycle: step_tf.training.generator -> step_tf.training.loop -> step_tf.training.generator"),
], ids=["upward", "cycle"])
def test_an_upward_import_or_a_cycle_is_named(tmp_path, files, problem):
    result = run_tool("--root", str(write(tmp_path, files)), "--quiet")
    assert result.returncode == 1
    assert problem in result.stderr

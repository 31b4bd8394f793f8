"""Prints the import graph of ``step_tf`` and fails on any import cycle or upward import.

    python tools/import_graph.py [--root .] [--quiet]

Every module of ``step_tf`` is parsed with ``ast`` (nothing is imported, so no
TensorFlow): its imports of ``step_tf`` modules, at module level or inside
functions, are the edges of the graph. Each module gets a layer from ``LAYERS``;
an edge from a module to one of a *higher* layer is an upward import. Lazy
(function-level) imports count too: they still tie the lower module to the upper.

Exits 1 naming every upward edge and one cycle of modules if any; 0 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import sys

PACKAGE = "step_tf"

# Lowest first. A module may import modules of its own layer or of a lower one.
# Why this order:
# 0 faults, files, config, graph, losses: plain helpers and constants (config
#   names the models and recipes; graph the skeleton layouts).
# 1 data, features: gait arrays, readers, preprocessing, tf.data, and the 29
#   affective features computed from gait arrays -- they know no model.
# 2 layers: ST-GCN layers, on graph only.
# 3 models: the Keras models and the AdamL2 optimizer they save with.
# 4 runs: the run directory: file names, JSON files, loading its models.
# 5 evaluation: metrics, plots, animations and scoring of finished runs; training
#   callbacks draw with it, so it sits below training (it never trains).
# 6 training: fitting classifiers and generators into run directories, and the
#   comparison protocol that repeats training runs.
# 7 serving, pretrained: exporting finished runs, SavedModels, the REST server.
# 8 pose: video -> skeletons -> emotions, using exported or Keras classifiers.
# 9 CLIs (step_tf/<cli>.py) and cli helpers: the user-facing commands, on top.
LAYERS = [
    ("faults", "files", "config", "graph", "losses"),
    ("data", "features"),
    ("layers",),
    ("models",),
    ("runs",),
    ("evaluation",),
    ("training",),
    ("serving", "pretrained"),
    ("pose",),
    ("cli", "compare", "evaluate", "export", "fit", "generate", "predict", "render", "saliency", "serve", "video", "__init__"),
]
LAYER_OF = {name: index for index, names in enumerate(LAYERS) for name in names}


def module_name(path: pathlib.Path, root: pathlib.Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports_of(path: pathlib.Path, name: str, modules: set[str]) -> set[str]:
    """The ``step_tf`` modules ``path`` (module ``name``) imports, anywhere in the file."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # "from step_tf.models import baselines" imports the submodule when there is one.
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # "step_tf.x.y.attr" -> the module "step_tf.x.y"
                target = target.rpartition(".")[0]
            if target and target != name and target.split(".")[0] == PACKAGE:
                found.add(target)
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    if key not in LAYER_OF:
        raise SystemExit(f"{module}: no layer for {key!r}; add it to LAYERS in {__file__}")
    return LAYER_OF[key]


def import_graph(root: pathlib.Path) -> dict[str, set[str]]:
    files = {module_name(path, root): path for path in sorted((root / PACKAGE).rglob("*.py"))}
    modules = set(files)
    return {name: imports_of(path, name, modules) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of modules (first module repeated at the end), or ``None``. Package ``__init__`` edges count."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def problems(graph: dict[str, set[str]]) -> list[str]:
    found = [
        f"upward import: {source} (layer {layer(source)}) -> {target} (layer {layer(target)})"
        for source, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer(target) > layer(source)
    ]
    cycle = find_cycle(graph)
    if cycle:
        found.append("import cycle: " + " -> ".join(cycle))
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parent.parent,
                        help="the folder holding step_tf/ (default: this repository)")
    parser.add_argument("--quiet", action="store_true", help="print only the problems")
    args = parser.parse_args(argv)
    graph = import_graph(args.root)
    if not args.quiet:
        for source in sorted(graph):
            print(f"[{layer(source)}] {source} -> {', '.join(sorted(graph[source])) or '-'}")
        print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports")
    found = problems(graph)
    for problem in found:
        print(problem, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

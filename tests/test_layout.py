"""The package tree is the pipeline: no import loops, and no stage imports a later stage.

Read from the source with :mod:`ast` (imports inside functions count), so a loop or a
backward arrow hidden in a function still fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "regfind"
#: The main line, upstream first. ``intervals`` (the MACS3-exact caller, for any score track)
#: comes before ``scores`` because attributions are called into regions like the mask.
STAGES = ("core", "io", "inputs", "model", "intervals", "scores", "calling", "evaluate", "look")
#: Stages beside the main line: used by it, and using it (loops are still refused).
SIDE = ("train", "simulate", "zoo", "cli")
#: Backward arrows that are deliberate: (importing module, imported module) -> reason.
ALLOWED = {
    ("regfind.calling.api", "regfind.look.plot"): "CallResult.plot() draws the locus view",
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The regfind modules a file imports (``from a import b`` counts ``a.b`` when a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith("regfind."):
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {m: _imports(p, modules) - {m} for m, p in modules.items()}
    for m in graph:  # a package imports its own modules; that is not an arrow between them
        if modules[m].name == "__init__.py":
            graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    return graph


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in (*STAGES, *SIDE)) \
        else "core"


def test_no_import_loops() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    loops = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                loops.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not loops, "import loops: " + "; ".join(" -> ".join(lp) for lp in loops)


def test_no_stage_imports_a_later_stage() -> None:
    backward = []
    for module, targets in _graph().items():
        here = _stage(module)
        if here not in STAGES:
            continue
        for target in targets:
            there = _stage(target)
            if (there in STAGES and STAGES.index(there) > STAGES.index(here)
                    and (module, target) not in ALLOWED):
                backward.append(f"{module} -> {target}")
    assert not backward, "a stage imports a later one: " + ", ".join(sorted(backward))


def test_the_checks_see_a_loop_and_a_backward_arrow(tmp_path: Path, monkeypatch) -> None:
    """The two checks above fail on a package that has what they look for."""
    pkg = tmp_path / "regfind"
    (pkg / "io").mkdir(parents=True)
    (pkg / "look").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "io" / "__init__.py").write_text("")
    (pkg / "look" / "__init__.py").write_text("")
    (pkg / "io" / "a.py").write_text("def f():\n    from regfind.look import b\n")
    (pkg / "look" / "b.py").write_text("from regfind.io.a import f\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    import pytest

    with pytest.raises(AssertionError, match="import loops: .*regfind.io.a"):
        test_no_import_loops()
    with pytest.raises(AssertionError, match="regfind.io.a -> regfind.look.b"):
        test_no_stage_imports_a_later_stage()

"""Inline a worked solution from ``instructor/solutions/lessonNN.py`` into a notebook cell.

The source notebook of the instructor edition shows the solution where the student writes it:
the solution function as written in the solutions module (docstring and all), preceded by the
imports and module-level helpers it uses, and nothing else. Imports the notebook already makes
(``import torch``, ``import numpy as np``) are not repeated.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

__all__ = ["notebook_imports", "inline_solution"]

_Key = tuple[str, ...]


def _import_keys(node: ast.Import | ast.ImportFrom, package: str | None) -> list[tuple[str, _Key]]:
    """``(bound name, key)`` for every alias of an import statement; relative imports are
    resolved against ``package`` (the module's package) so that the key is absolute."""
    out = []
    if isinstance(node, ast.Import):
        for a in node.names:
            bound = a.asname or a.name.split(".")[0]
            out.append((bound, ("import", a.name, a.asname or "")))
        return out
    module = node.module or ""
    if node.level:
        if package is None:
            raise ValueError(f"relative import of {module!r} needs the module's package")
        parts = package.split(".")
        base = parts[: len(parts) - node.level + 1]
        module = ".".join([*base, module] if module else base)
    for a in node.names:
        out.append((a.asname or a.name, ("from", module, a.name, a.asname or "")))
    return out


def _render_imports(keys: Iterable[_Key]) -> list[str]:
    """Import statements for ``keys``: plain imports first, then ``from`` imports grouped by
    module, each in first-seen order."""
    plain, froms = [], {}
    for key in keys:
        if key[0] == "import":
            _, name, asname = key
            plain.append(f"import {name}" + (f" as {asname}" if asname else ""))
        else:
            _, module, name, asname = key
            froms.setdefault(module, []).append(name + (f" as {asname}" if asname else ""))
    lines = list(dict.fromkeys(plain))
    lines += [f"from {m} import {', '.join(dict.fromkeys(ns))}" for m, ns in froms.items()]
    return lines


def notebook_imports(sources: Iterable[str]) -> set[_Key]:
    """The import keys of every top-level import in the notebook's code cells (cells that do
    not parse as Python, e.g. with ``%magic`` lines, are read without those lines)."""
    keys: set[_Key] = set()
    for src in sources:
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import) or (
                isinstance(node, ast.ImportFrom) and not node.level  # no package to be in
                and node.module != "__future__"
            ):
                keys.update(key for _, key in _import_keys(node, None))
    return keys


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def inline_solution(
    source: str, name: str, *, package: str | None = None, skip: Iterable[_Key] = ()
) -> str:
    """The code that defines ``name`` of the module ``source``, ready for a notebook cell.

    ``package`` resolves relative imports; ``skip`` holds the import keys the notebook already
    has (see :func:`notebook_imports`). Raises ``KeyError`` if ``name`` is not a top-level
    function of the module.
    """
    tree = ast.parse(source)
    imports: dict[str, _Key] = {}
    order: dict[_Key, int] = {}
    defs: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            for bound, key in _import_keys(node, package):
                imports[bound] = key
                order.setdefault(key, len(order))
        else:
            for bound in _bound_names(node):
                if bound != "__all__":
                    defs[bound] = node
    target = defs.get(name)
    if not isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise KeyError(f"{name!r} is not a top-level function of the solutions module")

    needed_nodes: list[ast.stmt] = []
    needed_imports: list[_Key] = []
    todo = [target]
    seen: set[int] = set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        needed_nodes.append(node)
        for used in sorted(_names_used(node)):
            if used in imports:
                needed_imports.append(imports[used])
            elif used in defs and defs[used] is not node:
                todo.append(defs[used])
    skipped = set(skip)
    wanted = sorted({k for k in needed_imports if k not in skipped}, key=order.__getitem__)
    body = sorted(needed_nodes, key=lambda n: n.lineno)
    parts = []
    if wanted:
        parts.append("\n".join(_render_imports(wanted)))
    for node in body:
        segment = ast.get_source_segment(source, node, padded=False)
        assert segment is not None
        decorators = "".join(
            f"@{ast.get_source_segment(source, d)}\n"
            for d in getattr(node, "decorator_list", [])
        )
        parts.append(decorators + segment)
    return "\n\n\n".join(parts)

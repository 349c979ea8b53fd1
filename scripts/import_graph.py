"""The module import graph of `smoothlms/` (tests and migrations left out), read with `ast`.

Every `import` counts, at module level or inside a function: a lazy import is still a dependency.
Prints the import cycles between apps (the app graph's strongly connected components) and within
apps (module cycles whose modules all belong to one app), and how many imports sit inside
functions. Exits 1 when there is a cycle.

    python scripts/import_graph.py [--edges] [--local] [--layers "desk|portal,hr,enrollment,core"]

--edges lists every cross-app edge (app -> app: the modules that make it); --local lists every
function-level import with its place; --layers checks a declared order, top first, `|` between
apps of one layer that must not import each other, and lists the imports that go upwards or
sideways (they count as failures too)."""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "smoothlms"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_excluded(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or "migrations" in parts


def collect_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py")) if not is_excluded(path)}


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours that `name` (a module, or a name inside one) refers to."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def absolute(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = here.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join([*base, node.module] if node.module else base)


class Imports(ast.NodeVisitor):
    """(target, line, inside a function?) for every import in one module."""

    def __init__(self, here: str, is_package: bool) -> None:
        self.here, self.is_package = here, is_package
        self.depth = 0
        self.found: list[tuple[str, int, bool]] = []
        self.statements_inside: list[int] = []

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef

    def count(self, node: ast.stmt) -> None:
        if self.depth:
            self.statements_inside.append(node.lineno)

    def visit_Import(self, node: ast.Import) -> None:
        self.count(node)
        for alias in node.names:
            self.found.append((alias.name, node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.count(node)
        base = absolute(node, self.here, self.is_package)
        for alias in node.names:  # `from pkg import module` imports pkg.module when it is one
            self.found.append((f"{base}.{alias.name}" if base else alias.name, node.lineno, self.depth > 0))


def build_graph(modules: dict[str, Path]) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    local: list[tuple[str, int, str]] = []
    for name, path in modules.items():
        visitor = Imports(name, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        local.extend(
            (name, line, ", ".join(t for t, at, _ in visitor.found if at == line)) for line in visitor.statements_inside
        )
        for target, _line, _inside in visitor.found:
            resolved = resolve(target, modules)
            if resolved and resolved != name and not name.startswith(resolved + "."):
                graph[name].add(resolved)  # a package's own __init__ is not an edge of its modules
    return graph, local


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one node, or with a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return found


def one_cycle(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the component's first node, to print as a path."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component


def layer_violations(spec: str, reasons: dict[tuple[str, str], list[str]]) -> list[str]:
    """The cross-app imports that go up the declared layers, or across one (between siblings).
    Apps the spec does not name (config, say) are not checked."""
    rank = {app: index for index, layer in enumerate(spec.split(",")) for app in layer.split("|") if app}
    found = []
    for (source, target), why in sorted(reasons.items()):
        if source in rank and target in rank and rank[source] >= rank[target]:
            found.extend(f"{source} -> {target}: {edge}" for edge in sorted(why))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="list every cross-app edge")
    parser.add_argument("--local", action="store_true", help="list every function-level import")
    parser.add_argument("--layers", help='apps top first, comma between layers, "|" within one: "desk|portal,hr,core"')
    args = parser.parse_args()
    modules = collect_modules()
    graph, local = build_graph(modules)

    apps: dict[str, set[str]] = defaultdict(set)
    reasons: dict[tuple[str, str], list[str]] = defaultdict(list)
    for source, targets in graph.items():
        for target in targets:
            if app_of(source) != app_of(target):
                apps[app_of(source)].add(app_of(target))
                reasons[(app_of(source), app_of(target))].append(f"{source} -> {target}")
    for app in {app_of(m) for m in modules}:
        apps.setdefault(app, set())

    app_cycles = strongly_connected(apps)
    module_cycles = strongly_connected(graph)
    within = [c for c in module_cycles if len({app_of(m) for m in c}) == 1]
    across = [c for c in module_cycles if len({app_of(m) for m in c}) > 1]

    if args.edges:
        for (source, target), why in sorted(reasons.items()):
            print(f"{source} -> {target}: " + ", ".join(sorted(why)))
        print()
    if args.local:
        for module, line, target in sorted(local):
            print(f"{modules[module].relative_to(ROOT)}:{line}: {target}")
        print()

    violations = layer_violations(args.layers, reasons) if args.layers else []
    if args.layers:
        print(f"imports against the layers: {len(violations)}")
        for line in violations:
            print("  " + line)
    print(f"modules: {len(modules)}  function-level imports: {len(local)}")
    print(f"cycles between apps: {len(app_cycles)}")
    for component in app_cycles:
        example = " -> ".join(one_cycle(component, apps))
        print(f"  apps tied in one knot: {', '.join(component)}; for example {example}")
    print(f"module cycles across apps: {len(across)}")
    for component in across:
        print(f"  ({len(component)} modules) " + " -> ".join(one_cycle(component, graph)))
    print(f"module cycles within an app: {len(within)}")
    for component in within:
        print(f"  ({len(component)} modules) " + " -> ".join(one_cycle(component, graph)))
    return 1 if app_cycles or module_cycles or violations else 0


if __name__ == "__main__":
    sys.exit(main())

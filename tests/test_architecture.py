"""The package's architecture, checked: its layering, and the habits that keep it readable.

The layer table below is the map of ``conformance/``: a unit (a subpackage, or a single module) may
import units of a lower layer, or of its own layer as long as no cycle forms; never a higher one.
Every import counts — function-local ones and ``if TYPE_CHECKING:`` ones too: an import that only a
function runs is still a dependency, and one that only the type checker runs still couples the units.

Besides the layering: no module longer than ``MAX_LINES``; no issue-tracker numbers in comments or
docstrings (say why, not which ticket); the API profile is tested only where profiles and dialects are
defined; and no run state in module globals (a run is an object, two runs in a process are two objects).
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "conformance"

# The layers, lowest first ----------------------------------------------------------------------------
#
#   layer  units                                              what they hold
#   -----  -------------------------------------------------  ----------------------------------------------
#   L0     __init__ profiles dialect redaction contract       definitions: the API, its dialects, its
#          catalogue fixtures data exits settings             requirements and profiles, the fixtures, the
#                                                             settings and exit codes; masking secrets
#   L1     target guard client                                one target: where it is, when to stop sending,
#                                                             the HTTP client
#   L2     ledger checks                                      judging one answer; recording the verdicts
#   L3     session machines                                   what tests act through; stateful test machines
#   L3     reference (imports L0-L1 only: see CEILINGS)       the reference server, beside the suite
#   L4     suite run                                          one run: the Run object, the pytest suite
#   L5     reporting runner selftest cli __main__             entry points and what they write
LAYERS: dict[str, int] = {
    **dict.fromkeys(
        (
            "__init__",
            "profiles",
            "dialect",
            "redaction",
            "contract",
            "catalogue",
            "fixtures",
            "data",
            "exits",
            "settings",
            "config_file",
            "waivers",
            "toml_file",
        ),
        0,
    ),
    **dict.fromkeys(("target", "guard", "client"), 1),
    **dict.fromkeys(("ledger", "checks", "pace"), 2),
    **dict.fromkeys(("session", "machines", "consumers", "reference", "discovery"), 3),
    **dict.fromkeys(("suite", "run"), 4),
    **dict.fromkeys(("reporting", "runner", "selftest", "cli", "__main__"), 5),
}
# Units that may import less than their layer allows. The reference server is a target like any other:
# it shares the definitions (L0) and the dialect-level modules (L1) with the suite, nothing of the suite
# itself (no ledger, checks, machines, suite, run, runner, reporting).
CEILINGS: dict[str, int] = {"reference": 1}

MAX_LINES = 400
# Modules allowed above MAX_LINES: pure data tables only, each with the reason.
LONG_DATA_TABLES: dict[str, str] = {}

# Issue references: "issue N", "Issue N", or "#N" with N a number (not an HTML entity, a URL fragment, a CSS colour).
ISSUE_WORD = re.compile(r"\b[Ii]ssue \d+\b")
ISSUE_HASH = re.compile(r"(?<![\w&#/])#\d+\b")
CSS_COLOUR = re.compile(r":\s*#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\b")
ISSUE_SCAN = ("conformance", "tests", "benchmarks")
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".ini", ".cfg", ".yaml", ".yml"}

# Where the API profile may be tested: the profile definitions and the dialects.
PROFILE_HOMES = {"conformance/profiles.py", "conformance/dialect.py", "conformance/reference/server_dialects.py"}
PROFILE_CONSTANTS = {"TIMEBACK", "ONEEDTECH"}
PROFILE_CALLS = {("profiles", "current"), ("dialect", "official")}

# Module-level state that is a genuine constant or cache, though it looks like run state: name -> reason.
MODULE_STATE_ALLOWED: dict[str, str] = {
    "conformance.checks.registry._TABLE": "what each check declares, filled on import: the same for every run",
    "conformance.checks.validation._inlined": "a cache of validators built from the packaged schemas",
    "conformance.reference.faults.NONE": "the empty set of faults; a Faults never changes once built",
    "conformance.redaction._secrets": "every secret any run was given stays masked in everything the process prints",
    "conformance.redaction._longest_first": "the same secrets, ordered for masking",
}
MUTATORS = {
    "add", "append", "appendleft", "clear", "discard", "extend", "insert", "pop", "popitem", "remove",
    "setdefault", "sort", "update",
}  # fmt: skip
MUTABLE_FACTORIES = {"dict", "list", "set", "defaultdict", "Counter", "OrderedDict", "deque"}


# The package's modules and their imports ---------------------------------------------------------------


@dataclass(frozen=True)
class Module:
    name: str  # dotted: conformance.client._client
    path: Path

    @property
    def relative(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def is_package(self) -> bool:
        return self.path.name == "__init__.py"

    @property
    def unit(self) -> str:
        return unit_of(self.name)


@dataclass(frozen=True)
class Import:
    importer: Module
    imported: str  # dotted name of a module of the package
    line: int

    @property
    def edge(self) -> tuple[str, str]:
        return self.importer.unit, unit_of(self.imported)


def unit_of(dotted: str) -> str:
    """``conformance`` -> ``__init__``; ``conformance.session.world`` -> ``suite``; ``conformance.cli`` -> ``cli``."""
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


@cache
def modules() -> tuple[Module, ...]:
    found = []
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(Module(".".join(parts), path))
    return tuple(found)


@cache
def module_names() -> frozenset[str]:
    return frozenset(module.name for module in modules())


@cache
def tree(module: Module) -> ast.Module:
    return ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.name.split(".")
    if not module.is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: Module) -> list[Import]:
    """Every import of a module of the package, anywhere in ``module`` (function-local ones included)."""
    found: dict[tuple[str, int], Import] = {}
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            # ``from conformance import profiles`` imports the module conformance.profiles; ``from conformance
            # import __version__`` imports conformance itself.
            names = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in module_names() else source
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                found.setdefault((name, node.lineno), Import(module, name, node.lineno))
    return list(found.values())


@cache
def cross_unit_imports() -> tuple[Import, ...]:
    return tuple(i for module in modules() for i in imports(module) if i.edge[0] != i.edge[1])


def _layer(unit: str) -> str:
    return f"L{LAYERS[unit]}"


# 1. Import layering ----------------------------------------------------------------------------------------


def test_every_unit_is_in_the_layer_table() -> None:
    unplaced = sorted({module.unit for module in modules()} - LAYERS.keys())
    assert not unplaced, (
        f"units of conformance/ missing from the layer table (LAYERS in {Path(__file__).name}): "
        + ", ".join(unplaced)
        + ". Place each in the layer whose units it may import, and say in the table what it holds."
    )


def _cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan), each sorted."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def _shortest_cycle(start: str, edges: set[tuple[str, str]]) -> list[str]:
    """A shortest path of units from ``start`` back to itself (breadth first)."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for successor in sorted(b for a, b in edges if a == node):
            if successor == start:
                return [*paths[node], start]
            if successor not in paths:
                paths[successor] = [*paths[node], successor]
                queue.append(successor)
    return []


def test_no_import_cycle_between_units() -> None:
    found = sorted(cross_unit_imports(), key=lambda i: (i.importer.name, i.line))
    problems = []
    for component in _cycles({i.edge for i in found}):
        inside = [i for i in found if i.edge[0] in component and i.edge[1] in component]
        cycle = _shortest_cycle(component[0], {i.edge for i in inside})
        lines = [f"  cycle {' -> '.join(cycle)}, for one:"]
        for edge in itertools.pairwise(cycle):
            first = next(i for i in inside if i.edge == edge)
            lines.append(f"    {first.importer.relative}:{first.line}: {first.importer.name} imports {first.imported}")
        lines.append(f"  every import between {', '.join(component)}:")
        lines += [f"    {i.importer.relative}:{i.line}: {i.importer.name} imports {i.imported}" for i in inside]
        problems.append("\n".join(lines))
    assert not problems, "import cycles between units (break each: one of its imports must go):\n" + "\n".join(problems)


def test_imports_only_go_down_the_layers() -> None:
    violations = []
    for i in cross_unit_imports():
        importer, imported = i.edge
        if importer not in LAYERS or imported not in LAYERS:
            continue  # test_every_unit_is_in_the_layer_table says so
        where = f"  ({i.importer.relative}:{i.line})"
        if LAYERS[imported] > LAYERS[importer]:
            violations.append(
                f"{i.importer.name} imports {i.imported} ({_layer(importer)} -> {_layer(imported)}){where}"
            )
        elif importer in CEILINGS and LAYERS[imported] > CEILINGS[importer]:
            violations.append(
                f"{i.importer.name} imports {i.imported} ({_layer(importer)} -> {_layer(imported)}: "
                f"{importer} may import only L0–L{CEILINGS[importer]}){where}"
            )
    assert not violations, (
        f"{len(violations)} import(s) going up the layers (see the table at the top of {Path(__file__).name}):\n"
        + "\n".join(sorted(violations))
    )


# 2. Module size ----------------------------------------------------------------------------------------------


def test_no_module_is_too_long() -> None:
    long = {
        module.relative: count
        for module in modules()
        if (count := len(module.path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    stale = sorted(LONG_DATA_TABLES.keys() - {module.relative for module in modules()})
    assert not stale, f"LONG_DATA_TABLES names modules that no longer exist: {', '.join(stale)}"
    too_long = {path: count for path, count in long.items() if path not in LONG_DATA_TABLES}
    assert not too_long, (
        f"modules longer than {MAX_LINES} lines (split them by what they hold; only pure data tables may be "
        "listed in LONG_DATA_TABLES):\n"
        + "\n".join(f"  {path}: {count} lines" for path, count in sorted(too_long.items()))
    )


# 3. Issue numbers --------------------------------------------------------------------------------------------


def _text_files() -> Iterator[Path]:
    for top in ISSUE_SCAN:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in TEXT_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                yield path


def issue_references(line: str) -> list[str]:
    hits = ISSUE_WORD.findall(line)
    colours = {m.start() + m.group().index("#") for m in CSS_COLOUR.finditer(line)}
    hits += [m.group() for m in ISSUE_HASH.finditer(line) if m.start() not in colours]
    return hits


def test_issue_references_are_recognised() -> None:
    """The pattern itself: what counts as an issue reference and what does not."""
    n = 8  # spelled out here, the examples would be hits of this very scan
    assert issue_references(f"retry waiting is capped (issue {n})") == [f"issue {n}"]
    assert issue_references(f"# Issue {n}{n}: keep it short") == [f"Issue {n}{n}"]
    assert issue_references(f"fixed in #{n}, see the thread") == [f"#{n}"]
    for innocent in (
        "color: #1d2430;",
        f"color: #{n}{n}{n};",
        f"&#{n}212;",
        f"page.html#{n}",
        "issue tracker",
        f"tissue {n}",
    ):
        assert issue_references(innocent) == [], innocent


def test_no_issue_numbers_in_comments_or_docstrings() -> None:
    """Every line of the text files (code, comments, docstrings, Markdown, TOML)."""
    hits = []
    for path in _text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if found := issue_references(line):
                hits.append(f"  {path.relative_to(ROOT).as_posix()}:{number}: {', '.join(found)}: {line.strip()[:100]}")
    assert not hits, (
        "issue-tracker numbers in the source (a reader has no tracker at hand: say why the code is as it is, "
        "without the number):\n" + "\n".join(hits)
    )


# 4. Profile tests ----------------------------------------------------------------------------------------------


def _is_profile(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "profile") or (
        isinstance(node, ast.Attribute) and node.attr == "profile"
    )


def _is_profile_constant(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in PROFILE_CONSTANTS
        and isinstance(node.value, ast.Name)
        and node.value.id == "profiles"
    )


def profile_tests(source: str) -> list[int]:
    """Lines that ask which profile runs: ``profile ==/!=``, ``== profiles.TIMEBACK``, ``profiles.current()``…"""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, (left, right) in zip(node.ops, itertools.pairwise(operands), strict=True):
                if isinstance(op, (ast.Eq, ast.NotEq)) and any(
                    _is_profile(side) or _is_profile_constant(side) for side in (left, right)
                ):
                    lines.append(node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in PROFILE_CALLS
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_profile_tests_are_recognised() -> None:
    assert profile_tests("if target.profile == 'timeback': pass") == [1]
    assert profile_tests("x = profile != profiles.ONEEDTECH") == [1]
    assert profile_tests("x = name == profiles.TIMEBACK") == [1]
    assert profile_tests("x = profiles.current()\ny = dialect.official()") == [1, 2]
    assert profile_tests("x = profiles.TIMEBACK\nif profile not in profiles.NAMES: pass\nd = dialect.of(p)") == []


def test_the_profile_is_tested_only_where_profiles_are_defined() -> None:
    hits = []
    for module in modules():
        if module.relative in PROFILE_HOMES:
            continue
        text = module.path.read_text(encoding="utf-8").splitlines()
        hits += [f"  {module.relative}:{n}: {text[n - 1].strip()}" for n in profile_tests("\n".join(text))]
    assert not hits, (
        "code asking which API profile runs, outside the profile and dialect definitions "
        f"({', '.join(sorted(PROFILE_HOMES))}): give the dialect a method or a field for the difference instead:\n"
        + "\n".join(hits)
    )


# 5. Module-level run state -------------------------------------------------------------------------------------


IMMUTABLE_BASES = {"NamedTuple", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}


def _immutable(node: ast.ClassDef) -> bool:
    """A frozen dataclass, a NamedTuple or an Enum: its objects are constants."""
    frozen = any(
        isinstance(d, ast.Call) and any(k.arg == "frozen" and getattr(k.value, "value", False) for k in d.keywords)
        for d in node.decorator_list
    )
    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    return frozen or bool(bases & IMMUTABLE_BASES)


@cache
def package_classes() -> frozenset[str]:
    """The names of the classes defined in the package whose objects can change."""
    return frozenset(
        node.name
        for module in modules()
        for node in ast.walk(tree(module))
        if isinstance(node, ast.ClassDef) and not _immutable(node)
    )


def _module_aliases(module: Module) -> dict[str, str]:
    """Names bound to modules of the package in ``module``: alias -> dotted module name."""
    aliases = {}
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in module_names():
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                if f"{source}.{alias.name}" in module_names():
                    aliases[alias.asname or alias.name] = f"{source}.{alias.name}"
    return aliases


def _imported_names(module: Module) -> dict[str, tuple[str, str]]:
    """Names imported into ``module`` from modules of the package: local name -> (module, name)."""
    names = {}
    for node in ast.walk(tree(module)):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            if source in module_names():
                for alias in node.names:
                    names[alias.asname or alias.name] = (source, alias.name)
    return names


def _top_level_assignments(module: Module) -> Iterator[tuple[str, ast.expr, int]]:
    body = list(tree(module).body)
    while body:
        node = body.pop(0)
        if isinstance(node, (ast.If, ast.Try)):
            body[:0] = [*node.body, *node.orelse, *getattr(node, "finalbody", [])]
        elif isinstance(node, ast.Assign) and node.value is not None:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value, node.lineno
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            yield node.target.id, node.value, node.lineno


def _callee(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _is_mutable_container(node: ast.expr) -> bool:
    return isinstance(node, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)) or (
        _callee(node) in MUTABLE_FACTORIES
    )


class _Mutations(ast.NodeVisitor):
    """Where the functions of a module change module-level names of the package in place: (module, name)
    -> lines; and which of the module's own names they rebind with ``global``.

    A name counts as the module-level one unless the function binds it locally (without ``global``).
    What a module does to its names while it is imported (filling a table) is not counted: that is
    how constants are built."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.aliases = _module_aliases(module)
        self.names = _imported_names(module)
        self.scopes: list[set[str]] = []  # names bound locally in the enclosing functions
        self.found: dict[tuple[str, str], list[int]] = {}
        self.rebound: dict[str, list[int]] = {}  # this module's names declared ``global`` in a function

    def _origin(self, node: ast.expr) -> tuple[str, str] | None:
        if isinstance(node, ast.Name) and not any(node.id in scope for scope in self.scopes):
            return self.names.get(node.id, (self.module.name, node.id))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.aliases:
            return self.aliases[node.value.id], node.attr
        return None

    def _note(self, node: ast.expr, line: int) -> None:
        if self.scopes and (origin := self._origin(node)) is not None:
            self.found.setdefault(origin, []).append(line)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        declared = {name for child in ast.walk(node) if isinstance(child, ast.Global) for name in child.names}
        for name in declared:  # ``global NAME``: the function rebinds the module's NAME
            self.rebound.setdefault(name, []).append(node.lineno)
        arguments = node.args
        local = {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        local |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
        local |= {
            child.id
            for child in ast.walk(node)
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store) and child.id not in declared
        }
        self.scopes.append(local)
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            self._note(node.func.value, node.lineno)
        self.generic_visit(node)

    def _targets(self, targets: list[ast.expr], line: int) -> None:
        for target in targets:
            if isinstance(target, ast.Subscript):
                self._note(target.value, line)
            elif isinstance(target, (ast.Tuple, ast.List)):
                self._targets(list(target.elts), line)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._targets(node.targets, node.lineno)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._targets([node.target], node.lineno)
        self._note(node.target, node.lineno)  # NAME += …: mutates (or, with ``global``, rebinds) the module's NAME
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        self._targets(node.targets, node.lineno)
        self.generic_visit(node)


@dataclass(frozen=True)
class Changes:
    mutated: dict[tuple[str, str], list[str]]  # (module, name) -> where it is changed in place
    rebound: dict[tuple[str, str], list[str]]  # (module, name) -> the functions declaring it ``global``


@cache
def changes() -> Changes:
    mutated: dict[tuple[str, str], list[str]] = {}
    rebound: dict[tuple[str, str], list[str]] = {}
    for module in modules():
        visitor = _Mutations(module)
        visitor.visit(tree(module))
        for origin, lines in visitor.found.items():
            mutated.setdefault(origin, []).extend(f"{module.relative}:{line}" for line in lines)
        for name, lines in visitor.rebound.items():
            rebound.setdefault((module.name, name), []).extend(f"{module.relative}:{line}" for line in lines)
    return Changes(mutated, rebound)


def _places(places: list[str]) -> str:
    return ", ".join(places[:4]) + (f" (+{len(places) - 4} more)" if len(places) > 4 else "")


def module_state() -> list[str]:
    """Module-level names that hold run state: objects of the package's classes, mutable containers
    changed in place, and names rebound by ``global`` — less ``MODULE_STATE_ALLOWED``."""
    found = changes()
    hits = []
    for module in modules():
        assigned = set()
        for name, value, line in _top_level_assignments(module):
            assigned.add(name)
            if f"{module.name}.{name}" in MODULE_STATE_ALLOWED:
                continue
            where = f"  {module.relative}:{line}: {name}"
            callee = _callee(value)
            if callee in package_classes():
                hits.append(f"{where} = {callee}(…): one {callee} for the whole process")
            elif _is_mutable_container(value) and (mutated := found.mutated.get((module.name, name))):
                hits.append(f"{where}: a mutable container, changed at {_places(mutated)}")
            elif rebound := found.rebound.get((module.name, name)):
                hits.append(f"{where}: rebound at run time (global, at {_places(rebound)})")
        for (origin, name), rebound in found.rebound.items():
            if origin == module.name and name not in assigned and f"{origin}.{name}" not in MODULE_STATE_ALLOWED:
                hits.append(f"  {module.relative}: {name}: a module global created at run time (at {_places(rebound)})")
    return list(dict.fromkeys(hits))  # in the order of the modules and their lines


def test_no_run_state_in_module_globals() -> None:
    defined = {f"{module.name}.{name}" for module in modules() for name, _, _ in _top_level_assignments(module)}
    stale = sorted(MODULE_STATE_ALLOWED.keys() - defined)
    assert not stale, f"MODULE_STATE_ALLOWED names what no longer exists: {', '.join(stale)}"
    hits = module_state()
    assert not hits, (
        "module-level run state (a run's state belongs to its Run object; genuine constants and caches go in "
        "MODULE_STATE_ALLOWED with the reason):\n" + "\n".join(hits)
    )

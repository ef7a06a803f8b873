"""OrderLens runs stock dbt through stock dagster-dbt: no code in pipelines/ touches a private
(`_`-prefixed) name of dbt or dagster-dbt. Such a name changes without notice in any release.

Found by reading every module's syntax tree: an import of a private name or from a private
module, an attribute `_x` of a dbt or dagster-dbt module, class or object (a name imported
from them, an object made by calling one, a parameter annotated with one), and in a subclass
of a dbt or dagster-dbt class a `_x` it defines (an override) or reads from its parent.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
PACKAGES = ("dbt", "dagster_dbt")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _from_dbt(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in PACKAGES


def _names(node: ast.expr | None) -> set[str]:
    """The plain names an expression (a base class, an annotation, a callee) is made of."""
    if node is None:
        return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _PrivateUse(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[str] = []
        self.dbt_names: set[str] = set()  # modules, classes, functions and objects of dbt
        self.subclasses: list[set[str]] = []  # the names each enclosing dbt subclass defines

    def _report(self, node: ast.AST, what: str) -> None:
        self.found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _from_dbt(alias.name):
                if any(_private(part) for part in alias.name.split(".")):
                    self._report(node, f"import {alias.name}")
                self.dbt_names.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if not _from_dbt(node.module):
            return
        module = node.module or ""
        if any(_private(part) for part in module.split(".")):
            self._report(node, f"from {module} import ...")
        for alias in node.names:
            if _private(alias.name):
                self._report(node, f"from {module} import {alias.name}")
            self.dbt_names.add(alias.asname or alias.name)

    def visit_Assign(self, node: ast.Assign) -> None:
        # An object made by a dbt class or function is a dbt object.
        if isinstance(node.value, ast.Call) and _names(node.value.func) & self.dbt_names:
            for target in node.targets:
                self.dbt_names |= _names(target)
        self.generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if self.subclasses and _private(node.name):
            self._report(node, f"def {node.name} overrides a private dbt or dagster-dbt name")
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for argument in arguments:
            if _names(argument.annotation) & self.dbt_names:
                self.dbt_names.add(argument.arg)
        self.generic_visit(node)

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not any(_names(base) & self.dbt_names for base in node.bases):
            self.generic_visit(node)
            return
        own = {
            target.id
            for statement in ast.walk(node)
            for target in getattr(statement, "targets", [getattr(statement, "target", None)])
            if isinstance(target, ast.Name)
        } | {
            attribute.attr
            for attribute in ast.walk(node)
            if isinstance(attribute, ast.Attribute)
            and isinstance(attribute.ctx, ast.Store)
            and isinstance(attribute.value, ast.Name)
            and attribute.value.id == "self"
        }
        self.subclasses.append(own)
        self.generic_visit(node)
        self.subclasses.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr):
            owner = node.value
            if _names(owner) & self.dbt_names and isinstance(owner, ast.Name | ast.Attribute):
                self._report(node, ast.unparse(node))
            elif self._inherited(owner, node.attr):
                self._report(node, f"{ast.unparse(node)} (from the dbt parent class)")
        self.generic_visit(node)

    def _inherited(self, owner: ast.expr, name: str) -> bool:
        """Whether `owner.name` in a dbt subclass reads its parent's (self._x, super()._x)."""
        if not self.subclasses or name in self.subclasses[-1]:
            return False
        if isinstance(owner, ast.Name):
            return owner.id == "self"
        return isinstance(owner, ast.Call) and _names(owner.func) == {"super"}

    def visit_Call(self, node: ast.Call) -> None:
        # getattr(dbt_object, "_x"), setattr(...), hasattr(...)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and _names(node.args[0]) & self.dbt_names
        ):
            self._report(node, ast.unparse(node))
        self.generic_visit(node)


def private_dbt_names(source: str) -> list[str]:
    """Each use of a private dbt or dagster-dbt name in a module's source, by line."""
    visitor = _PrivateUse()
    visitor.visit(ast.parse(source))
    return visitor.found


def test_no_module_of_pipelines_uses_a_private_dbt_or_dagster_dbt_name() -> None:
    modules = sorted(PIPELINES.rglob("*.py"))
    assert len(modules) > 20
    found = {
        str(path.relative_to(PIPELINES)): uses
        for path in modules
        if (uses := private_dbt_names(path.read_text(encoding="utf-8")))
    }
    assert found == {}


# What pipelines/transform/dbt.py once did, and what else the check must catch.
CAUGHT = {
    "an override of dagster-dbt's private methods": """
from functools import cached_property
from dagster_dbt import DbtCliResource

class OrderLensDbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self):
        return None

    def _initialize_dbt_core_adapter(self, args):
        return None
""",
    "a private name imported": "from dbt.events.functions import _log_level_map\n",
    "a private module": "from dagster_dbt.core._utils import helper\n",
    "a private attribute of a module": "import dbt.task.runnable\ndbt.task.runnable._x = 1\n",
    "a private attribute of a class": (
        "from dbt.graph.queue import GraphQueue\nGraphQueue._get_scores = None\n"
    ),
    "a private attribute of an object": (
        "from dagster_dbt import DbtCliResource\n"
        "dbt = DbtCliResource(project_dir='.')\n"
        "version = dbt._cli_version\n"
    ),
    "a private attribute of a parameter": (
        "from dagster_dbt import DbtCliResource\n"
        "def build(dbt: DbtCliResource) -> object:\n"
        "    return dbt._cli_version\n"
    ),
    "a private attribute read by name": (
        "import dagster_dbt\nversion = getattr(dagster_dbt.DbtCliResource, '_cli_version')\n"
    ),
    "a parent's private name read in a subclass": (
        "from dagster_dbt import DagsterDbtTranslator\n"
        "class Translator(DagsterDbtTranslator):\n"
        "    def get_asset_spec(self, manifest, unique_id, project):\n"
        "        return self._settings\n"
    ),
}

ALLOWED = {
    "public names and a subclass's own private helpers": """
from dagster_dbt import DagsterDbtTranslator, DbtCliResource

class Translator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest, unique_id, project):
        return self.helper(super().get_asset_spec(manifest, unique_id, project))

    def helper(self, spec):
        self._seen = spec
        return self._seen

def build(dbt: DbtCliResource) -> object:
    return dbt.cli(["build"]).stream()
""",
    "private names of other libraries": (
        "import os\nfrom pathlib import Path\nprint(os._exit, Path('.')._raw_paths)\n"
    ),
}


@pytest.mark.parametrize("source", CAUGHT.values(), ids=CAUGHT.keys())
def test_the_check_finds_a_private_name(source: str) -> None:
    assert private_dbt_names(source)


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_the_check_leaves_public_use_alone(source: str) -> None:
    assert private_dbt_names(source) == []

"""The layout's rules, read from the source: voicemanager never imports booth, and every status change
is a method on its model (or its QuerySet)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATUS_FIELDS = {"status"}
MODEL_BASES = {"Model", "QuerySet", "Manager"}


def _sources(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/tests/" in rel or "/migrations/" in rel or rel.startswith("tasks/audio/"):
                continue
            yield rel, ast.parse(path.read_text(), rel)


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module an ``import`` or ``from … import`` names, at the top or inside a function."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def _is_model_class(node: ast.ClassDef) -> bool:
    names = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
    return any(n in MODEL_BASES or n.endswith("QuerySet") for n in names)


def status_writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Writes of a status field outside a model or QuerySet class: ``x.status = …`` (also in tuples),
    ``d["status"] = …`` and ``.update(status=…)`` / ``.update_or_create(status=…)``.
    Creating a row with its first status (``Model(status=…)``, ``.create(status=…)``) is not a change."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_model: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_model or (isinstance(child, ast.ClassDef) and _is_model_class(child))
            if not inside:
                if isinstance(child, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                    targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                    for target in [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]:
                        own = isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self"
                        if isinstance(target, ast.Attribute) and target.attr in STATUS_FIELDS and not own:
                            found.append((child.lineno, ast.unparse(target)))
                        if (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                                and target.slice.value in STATUS_FIELDS):
                            found.append((child.lineno, ast.unparse(target)))
                if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                        and child.func.attr in {"update", "update_or_create", "bulk_update"}):
                    for kw in child.keywords:
                        if kw.arg in STATUS_FIELDS or (kw.arg is None and "status" in ast.unparse(kw.value)):
                            found.append((child.lineno, ast.unparse(child)[:120]))
            visit(child, inside)

    visit(tree, False)
    return found


def test_voicemanager_never_imports_booth():
    offenders = [(rel, mod) for rel, tree in _sources("voicemanager") for mod in imported_modules(tree)
                 if mod == "booth" or mod.startswith("booth.")]
    assert offenders == []


def test_booth_uses_voicemanager_but_holds_no_models():
    assert any(mod.startswith("voicemanager.") for _, tree in _sources("booth") for mod in imported_modules(tree))
    assert not (ROOT / "booth" / "models.py").exists()


def test_no_status_is_written_outside_the_models():
    offenders = [f"{rel}:{line}: {what}" for rel, tree in _sources("voicemanager", "booth", "tasks")
                 for line, what in status_writes(tree)]
    assert offenders == []


def test_the_status_scan_finds_each_kind_of_write():
    source = '''
task.status = "ready"
take.status, take.submitted_at = "submitted", now
fields["status"] = "recording"
Task.objects.filter(pk=1).update(status="ready")
Task.objects.filter(pk=1).update(**{"status": "ready"})
class Task(models.Model):
    def mark_ready(self):
        self.status = "ready"
        Task.objects.filter(pk=self.pk).update(status="ready")
class Failure(Exception):
    def __init__(self, status):
        self.status = status
Task.objects.create(status="invited")
'''
    assert [line for line, _ in status_writes(ast.parse(source))] == [2, 3, 4, 5, 6]

"""The core and its three faces: the faces (admin, web, api) never import each other, and the
core never imports a face. Generated from the package tree, so a new module is checked too.

The project's wiring (settings, the URL conf, wsgi) and the management commands (each a path
of its own, like a face) may import any face; the migrations import nothing of ours but the
core."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "defections"
FACES = ("admin", "web", "api")
WIRING = {"defections.settings", "defections.urls", "defections.wsgi"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(name: str) -> str:
    """"core", a face's name, or "wiring" for what may import anything."""
    parts = name.split(".")
    if name in WIRING or parts[1:2] == ["management"]:
        return "wiring"
    return parts[1] if len(parts) > 1 and parts[1] in FACES else "core"


def imported(path: Path, name: str) -> set[str]:
    """The modules of ours that a file imports (relative imports resolved)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {module for module in found if module.split(".")[0] == "defections"}


MODULES = sorted((module_name(path), path) for path in PACKAGE.rglob("*.py"))


def test_the_tree_has_every_layer():
    layers = {layer(name) for name, _ in MODULES}
    assert layers == {"core", "wiring", *FACES}


@pytest.mark.parametrize("name,path", MODULES, ids=[name for name, _ in MODULES])
def test_a_module_imports_only_what_its_layer_may(name, path):
    mine = layer(name)
    if mine == "wiring":
        return
    allowed = {"core", mine}
    wrong = sorted(module for module in imported(path, name)
                   if module != "defections" and layer(module) not in allowed)
    assert not wrong, f"{name} ({mine}) imports {wrong}"


def test_the_check_finds_a_face_imported_by_the_core(tmp_path):
    """The checker itself: a core module importing the API is caught, relative or not."""
    core = PACKAGE / "made_up.py"
    for source in ("from defections.api import views\n", "from .api.views import X\n",
                   "import defections.web.views\n"):
        path = tmp_path / "made_up.py"
        path.write_text(source)
        modules = imported(path, "defections.made_up")
        assert any(layer(m) in FACES for m in modules), source
    assert not core.exists()

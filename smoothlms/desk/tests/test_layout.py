"""The desk owns every admin class: domain apps have no admin module and never import the desk."""

import ast
from pathlib import Path

from django.contrib import admin

import smoothlms

ROOT = Path(smoothlms.__file__).parent
DOMAIN_APPS = ["core", "people", "catalog", "enrollment", "training", "hr", "notifications"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_domain_apps_have_no_admin_module():
    assert [app for app in DOMAIN_APPS if (ROOT / app / "admin.py").exists()] == []


def test_no_domain_app_imports_the_desk():
    offenders = [
        str(path.relative_to(ROOT))
        for app in DOMAIN_APPS
        for path in (ROOT / app).rglob("*.py")
        if any(name == "smoothlms.desk" or name.startswith("smoothlms.desk.") for name in imported_modules(path))
    ]
    assert offenders == []


def test_every_admin_class_lives_in_the_desk():
    ours = {
        type(model_admin).__module__
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("smoothlms.")
    }
    assert ours and all(module.startswith("smoothlms.desk.admin.") for module in ours)

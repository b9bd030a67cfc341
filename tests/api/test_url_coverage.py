"""Every endpoint under /api/v1/ (URL pattern × HTTP method) is in the permission matrix,
or explicitly allow-listed as a public read. A new endpoint without a matrix row fails here."""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import tests.api


def matrix_endpoints() -> set:
    """(url name, method) pairs of every permission matrix: `test_permission_matrix.py` and
    each `tests/api/test_matrix_<area>.py`, which defines its own `ENDPOINTS`."""
    endpoints = set()
    for module in pkgutil.iter_modules(tests.api.__path__):
        if module.name == "test_permission_matrix" or module.name.startswith("test_matrix_"):
            endpoints |= importlib.import_module(f"tests.api.{module.name}").ENDPOINTS
    return endpoints


ENDPOINTS = matrix_endpoints()

# Public reads, tested in their own modules (catalogue, parties, schema, meta, IATI).
PUBLIC_READS = {
    "api:api-root",
    "api:framework-list",
    "api:framework-detail",
    "api:pillar-list",
    "api:pillar-detail",
    "api:article-list",
    "api:article-detail",
    "api:party-list",
    "api:party-detail",
    "api:schema",
    "api:swagger",
    "api:redoc",
    "api:meta",
    "api:coverage",  # tests/dashboard/test_api.py
    "api:iati-activities",
}
IGNORED_METHODS = {"HEAD", "OPTIONS", "TRACE"}


def walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}{entry.name}" if entry.name else None, entry.callback


def methods_of(callback) -> set[str]:
    actions = getattr(callback, "actions", None)
    if actions:  # a ViewSet route: only the methods mapped to actions
        return {method.upper() for method in actions}
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    names = getattr(view_class, "http_method_names", ["get"])
    handled = {name.upper() for name in names if view_class is None or hasattr(view_class, name)}
    return handled - IGNORED_METHODS


def api_endpoints():
    for route, name, callback in walk(get_resolver().url_patterns):
        if route.replace("^", "").startswith("api/v1/"):
            yield route, name, tuple(sorted(methods_of(callback)))  # sorted: stable test ids for xdist


def test_the_walk_finds_the_projects_api():
    found = {(name, method) for _route, name, methods in api_endpoints() for method in methods}
    assert ("api:project-detail", "PATCH") in found and ("api:project-transitions", "POST") in found


@pytest.mark.parametrize("route,name,methods", list(api_endpoints()), ids=lambda value: str(value))
def test_every_api_endpoint_is_in_the_matrix(route, name, methods):
    assert name, f"{route} has no URL name, so it cannot be in the permission matrix"
    if name in PUBLIC_READS:
        assert set(methods) <= {"GET"}, f"{name} is allow-listed as a read but takes {methods}"
        return
    missing = {method for method in methods if (name, method) not in ENDPOINTS}
    assert not missing, (
        f"{route} ({name}): {sorted(missing)} missing from every permission matrix (tests/api/test_matrix_*.py)"
    )

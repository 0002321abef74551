"""Every route of a workspace has a cross-workspace isolation check, and every check a route.

A new workspace URL fails the build here until tests/isolation_registry.py says how to
check it from another workspace (tests/test_isolation_routes.py then runs that check).
"""

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests.isolation_registry import ISOLATION_CHECKS


def _tenant_routes(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> list[tuple[str | None, str]]:
    """(name, route) of every pattern under `resolver`, through includes; names with namespace."""
    routes: list[tuple[str | None, str]] = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            routes += _tenant_routes(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            routes.append((f"{namespace}{pattern.name}" if pattern.name else None, route))
    return routes


def test_every_workspace_route_has_an_isolation_check():
    routes = _tenant_routes(get_resolver(settings.ROOT_URLCONF))
    named = {name for name, _route in routes if name is not None}

    problems = {
        "routes without a name (name them, then add a check)": sorted(
            route for name, route in routes if name is None
        ),
        "routes without an isolation check (add one to tests/isolation_registry.py)": sorted(
            named - ISOLATION_CHECKS.keys()
        ),
        "checks for routes that no longer exist (remove them)": sorted(
            ISOLATION_CHECKS.keys() - named
        ),
    }

    assert not any(problems.values()), "\n".join(
        f"{problem}: {', '.join(items)}" for problem, items in problems.items() if items
    )


def test_workspace_routes_are_the_tenant_urlconf():
    # Workspace hosts are served by ROOT_URLCONF; the public site by PUBLIC_SCHEMA_URLCONF.
    assert settings.ROOT_URLCONF == "saas_platform.urls_tenant"


def test_route_walk_finds_routes_inside_includes():
    # Guards the walk itself: allauth's pages are included, not listed in urls_tenant.
    names = {name for name, _route in _tenant_routes(get_resolver(settings.ROOT_URLCONF))}

    assert {"home", "members", "account_login", "account_email", "mfa_index"} <= names

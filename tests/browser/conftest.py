"""Real headless Chromium (Debian's, driven by the `playwright` package) against a live server.

The live server runs in a thread of this process and commits for real (pytest-django
makes `live_server` tests transactional), so every test here drops the workspace
schemas it created (`drop_new_workspace_schemas`). Workspace hosts are
http://<subdomain>.localhost:<port>/, which Chromium resolves to loopback.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

from tests.onboarding.schema_cleanup import drop_new_workspace_schemas_fixture  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / ".artifacts"
_reports_key = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the test item, so fixtures can tell it failed."""
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    return report


@pytest.fixture
def live_platform(live_server, platform, settings, drop_new_workspace_schemas) -> str:  # type: ignore[no-untyped-def]
    """The public site's URL on the live server; links and redirects use its port."""
    port = urlsplit(live_server.url).port
    settings.PLATFORM_DOMAIN = "localhost"
    settings.PLATFORM_PORT = str(port)
    return f"http://localhost:{port}"


@pytest.fixture
def chromium() -> Iterator[object]:
    """A headless Chromium for one test.

    Playwright's sync API keeps an event loop running in this thread, so Django's ORM
    (used by the test and by fixture teardown) must be told that is safe here.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=30_000)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        # While Playwright's loop runs, asgiref hands this thread a separate set of
        # database connections; close them, or they outlive the test database.
        connections.close_all()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _open_page(request: pytest.FixtureRequest, chromium, **context_options: object):  # type: ignore[no-untyped-def]
    context = chromium.new_context(locale="en-US", **context_options)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    reports = request.node.stash.get(_reports_key, {})
    if any(report.failed for report in reports.values()):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(request, chromium):  # type: ignore[no-untyped-def]
    """A desktop-sized page in English."""
    yield from _open_page(request, chromium, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(request, chromium):  # type: ignore[no-untyped-def]
    """A page as wide as a 375 px phone, in English."""
    yield from _open_page(
        request, chromium, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )

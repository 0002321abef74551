"""Workspaces share Redis and the media disk, but never a cache entry or a file."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context


def test_same_cache_key_holds_a_value_per_workspace(workspace, other_workspace):
    with schema_context(workspace.workspace.schema_name):
        cache.set("dashboard:totals", "acme totals", timeout=60)
    with schema_context(other_workspace.workspace.schema_name):
        cache.set("dashboard:totals", "globex totals", timeout=60)

    with schema_context(workspace.workspace.schema_name):
        seen_by_acme = cache.get("dashboard:totals")
        cache.delete("dashboard:totals")
    with schema_context(other_workspace.workspace.schema_name):
        seen_by_globex = cache.get("dashboard:totals")
        cache.delete("dashboard:totals")

    assert seen_by_acme == "acme totals"
    assert seen_by_globex == "globex totals"


def test_cache_entry_of_a_workspace_is_not_seen_outside_it(workspace, other_workspace):
    with schema_context(workspace.workspace.schema_name):
        cache.set("handoff-used", "yes", timeout=60)

    with schema_context(other_workspace.workspace.schema_name):
        seen_by_globex = cache.get("handoff-used")
    seen_by_public_site = cache.get("handoff-used")
    with schema_context(workspace.workspace.schema_name):
        cache.delete("handoff-used")

    assert seen_by_globex is None
    assert seen_by_public_site is None


def test_cache_keys_in_redis_start_with_the_workspace_schema(workspace):
    with schema_context(workspace.workspace.schema_name):
        key = cache.make_key("dashboard:totals")

    assert key.split(":")[0] == workspace.workspace.schema_name


@pytest.fixture
def media_of() -> Iterator[None]:
    """Removes the media folders of the workspaces this test created afterwards."""
    before = set(Path(settings.MEDIA_ROOT).glob("ws_*"))
    yield
    for folder in set(Path(settings.MEDIA_ROOT).glob("ws_*")) - before:
        shutil.rmtree(folder, ignore_errors=True)


def test_uploaded_file_is_stored_under_the_workspace_folder(workspace, media_of):
    schema = workspace.workspace.schema_name

    with schema_context(schema):
        name = default_storage.save("documents/offer.txt", ContentFile(b"acme offer"))
        url = default_storage.url(name)

    stored = Path(settings.MEDIA_ROOT) / schema / name
    assert stored.read_bytes() == b"acme offer"
    assert url == f"{settings.MEDIA_URL}{schema}/{name}"


def test_workspace_cannot_open_another_workspace_file_by_name(workspace, other_workspace, media_of):
    # Given: A stored a file.
    with schema_context(workspace.workspace.schema_name):
        name = default_storage.save("documents/offer.txt", ContentFile(b"acme offer"))

    # When / then: B asks for the same name, and finds nothing.
    with schema_context(other_workspace.workspace.schema_name):
        assert not default_storage.exists(name)
        with pytest.raises(FileNotFoundError):
            default_storage.open(name)


def test_workspace_cannot_reach_another_workspace_file_through_parent_folder(
    workspace, other_workspace, media_of
):
    with schema_context(workspace.workspace.schema_name):
        name = default_storage.save("documents/offer.txt", ContentFile(b"acme offer"))
    escaping_name = f"../{workspace.workspace.schema_name}/{name}"

    with (
        schema_context(other_workspace.workspace.schema_name),
        pytest.raises(SuspiciousFileOperation),
    ):
        default_storage.open(escaping_name)


def test_same_file_name_in_two_workspaces_keeps_both_files(workspace, other_workspace, media_of):
    with schema_context(workspace.workspace.schema_name):
        name_in_acme = default_storage.save("logo.txt", ContentFile(b"acme logo"))
    with schema_context(other_workspace.workspace.schema_name):
        name_in_globex = default_storage.save("logo.txt", ContentFile(b"globex logo"))
        globex_reads = default_storage.open(name_in_globex).read()
    with schema_context(workspace.workspace.schema_name):
        acme_reads = default_storage.open(name_in_acme).read()

    assert name_in_acme == name_in_globex == "logo.txt"
    assert acme_reads == b"acme logo"
    assert globex_reads == b"globex logo"

"""A public "next due" hint per workspace, so beat's fan-out skips idle workspaces.

A Redis sorted set maps each workspace schema to the moment (epoch seconds) of its next
due notification. Task writes lower it (ZADD LT, after commit); the workspace's sweep
sets it to its new next moment or removes it. The fan-out reads the workspaces whose
moment has come with one ZRANGEBYSCORE, instead of sending a message to every
workspace. The hint only saves work: losing it delays nothing longer than the hourly
full sweep (crm.tasks.sweep_due_tasks_task sent to every workspace), which rebuilds it.
"""

import datetime as dt
from functools import cache
from typing import Any

import redis
from django.conf import settings

KEY_SUFFIX = "crm:next-due"


def _key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "kartoteka")
    return f"{prefix}:{KEY_SUFFIX}"


@cache
def _client() -> "redis.Redis":
    return redis.Redis.from_url(settings.REDIS_URL)


def note_due(schema_name: str, moment: dt.datetime) -> None:
    """`schema_name` has a notification due at `moment` (keeps an earlier one)."""
    _client().zadd(_key(), {schema_name: moment.timestamp()}, lt=True)
    # ZADD LT does not add a missing member on old Redis versions: make sure it is there.
    _client().zadd(_key(), {schema_name: moment.timestamp()}, nx=True)


def replace(schema_name: str, moment: dt.datetime | None) -> None:
    """Set the workspace's next moment after a sweep (None: nothing left to notify)."""
    if moment is None:
        _client().zrem(_key(), schema_name)
    else:
        _client().zadd(_key(), {schema_name: moment.timestamp()})


def due_schemas(now: dt.datetime) -> list[str]:
    """The workspaces whose next notification is due by `now`."""
    found: Any = _client().zrangebyscore(_key(), "-inf", now.timestamp())
    return [name.decode() if isinstance(name, bytes) else str(name) for name in found]


def clear() -> None:
    _client().delete(_key())

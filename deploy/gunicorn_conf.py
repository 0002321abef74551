"""gunicorn settings, shared by the Procfile's `web` and deploy/Dockerfile.

Tuned by the environment: BIND_ADDRESS (0.0.0.0 in the image; `make run` sets 127.0.0.1),
PORT (8000), WEB_CONCURRENCY (worker processes, 2), WEB_THREADS
(threads per worker, 4), WEB_TIMEOUT (seconds, 60). gunicorn itself also reads
FORWARDED_ALLOW_IPS (which proxies may set X-Forwarded-Proto; default 127.0.0.1) and
GUNICORN_CMD_ARGS (any extra command-line option, e.g. `--reload`, which `make run` sets).

Each worker, once it has loaded saas_platform.wsgi, tunes its garbage collector there
(saas_platform/runtime.py: start-up heap frozen, young threshold 50,000, a young collection
after each response): nothing to set here.
"""

import os

# All interfaces by default: the upstream of a reverse proxy, or a container's published port.
# `make run` (DEBUG, demo passwords) binds to loopback unless BIND_ADDRESS says otherwise.
BIND_ADDRESS = os.environ.get("BIND_ADDRESS", "0.0.0.0")  # noqa: S104
bind = [f"{BIND_ADDRESS}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then: bounds slow memory growth.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Worker heartbeats on tmpfs: an overlay filesystem (Docker) can stall them.
SHM = "/dev/shm"  # noqa: S108 (tmpfs for heartbeat files only)
worker_tmp_dir = SHM if os.path.isdir(SHM) else None
# gunicorn 24+ opens a control socket at ~/.gunicorn/gunicorn.ctl by default; several servers
# on one host would share it, and the image's user has no writable home. Older versions
# ignore unknown names in this file.
control_socket_disable = True

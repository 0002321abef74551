"""``python -m stripe_double --port 12111 --webhook-url URL --webhook-secret whsec_...``

Serves the double in the foreground until interrupted (``make run`` starts it when no
``STRIPE_SECRET_KEY`` is set). Test controls are under ``/_double/`` (see the README).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from .server import DoubleServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stripe_double", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("STRIPE_DOUBLE_PORT", 12111))
    )
    parser.add_argument("--webhook-url", default=os.environ.get("STRIPE_DOUBLE_WEBHOOK_URL"))
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("STRIPE_WEBHOOK_SECRET") or "whsec_test_double",
    )
    parser.add_argument(
        "--webhook-mode", choices=["sync", "background", "manual"], default="background"
    )
    parser.add_argument(
        "--public-url",
        default=None,
        help="base URL browsers use for Checkout/portal pages (default: http://HOST:PORT)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    server = DoubleServer(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        webhook_mode=args.webhook_mode,
        public_url=args.public_url,
        verbose=args.verbose,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(
        f"Stripe test double on {server.url} "
        f"(webhooks: {args.webhook_url or 'kept for /_double/events'})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

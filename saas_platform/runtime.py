"""Set-up of a long-running process once the app is loaded: the web workers and Celery's.

Python's cyclic garbage collector runs a young collection every 700 net allocations of
container objects (the default threshold), promotes what survives to the middle and then
the old generation, and now and then walks every tracked object of the process. Measured
on the contact list page (tests/benchmarks/profile_request.py, 29 Nov 2026): a worker holds
~171,000 tracked objects after start-up; a page of 50 contacts allocates tens of thousands
of container objects, and ~1,750 of them end as garbage in reference cycles (each prefetched
phone, e-mail or link points back at its contact), which only the collector frees. With the
defaults that page ran 2.7 young and 0.25 middle collections, in the middle of the request,
walking the request's live objects too (~2.5 ms of CPU a page), plus a full collection over
the whole heap every few hundred requests.

So, after start-up:

- `gc.freeze()` moves everything alive then (modules, classes, settings, URL patterns:
  things that live as long as the process) to a permanent generation the collector never
  walks again, so an occasional full collection costs what the process gathered since, not
  the whole heap. (Python's documentation recommends it for forking servers; it also keeps
  those pages shared after a fork.)
- The young threshold goes from 700 to GC_THRESHOLDS[0] = 50,000: no page allocates that
  many net objects, so collections stop landing in the middle of requests.
- A young collection runs once each request is over (Django's `request_finished`, sent when
  the server closes the response, i.e. after the body has been written): it frees that
  request's cyclic garbage while it is still young and small (~2,000 objects, well under a
  millisecond), off the request's time in a real server. Without it the garbage of ~30
  requests would pile up to the threshold and one unlucky request would pay for all of it.
- The older generations keep their ratios (10 young collections per middle one, 10 middle
  per full, and a full one waits until a quarter of the long-lived objects are new).

Where it is applied: saas_platform/wsgi.py and asgi.py (every web server process, after the
application is built), Celery's `worker_process_init` (saas_platform/celery.py; tasks are
not latency-bound, so there the threshold alone decides), and the benchmarks' request
processes (tests/benchmarks/bench_crm.py), so they measure what production runs. (Django's
test Client closes the response inside the request it times, so there the young collection
counts against the request: the benchmark errs on the slow side.)
"""

import gc
import importlib

from django.conf import settings
from django.core.signals import request_finished

# (young, middle, old): see the module docstring.
GC_THRESHOLDS = (50_000, 10, 10)


def collect_young_garbage(**_kwargs: object) -> None:
    """`request_finished` receiver: free the finished request's cyclic garbage now."""
    gc.collect(0)


def load_url_modules() -> None:
    """Import both URLconfs (and so every view module) now rather than on the first request,
    so they are part of what gc.freeze() sets aside and the first request is not slower."""
    for urlconf in (settings.ROOT_URLCONF, getattr(settings, "PUBLIC_SCHEMA_URLCONF", None)):
        if urlconf:
            importlib.import_module(urlconf)


def prepare_long_running_process(*, serves_requests: bool = True) -> None:
    """Freeze the start-up heap and raise the young-generation threshold (see the module).

    `serves_requests`: load the URLconfs and views first (a web process; a Celery worker
    does not need them). Safe to call more than once: a second freeze only adds what was
    allocated since.
    """
    if serves_requests:
        load_url_modules()
        request_finished.connect(collect_young_garbage, dispatch_uid="collect_young_garbage")
    gc.collect()  # do not freeze garbage left by start-up
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)

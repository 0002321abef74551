"""Set-up of a long-running process once the app is loaded: the web workers and Celery's.

Python's cyclic garbage collector runs a young collection every 700 net allocations of
container objects (the default threshold), promotes what survives, and every 100 young
collections walks *every* tracked object of the process. A worker of this project holds
about half a million such objects once Django, the apps, the URLconfs and the libraries are
imported; a list page of 50 clients allocates tens of thousands of short-lived ones (model
instances, their state, row tuples, template contexts). With the defaults such a page runs
dozens of young collections, some of them middle ones, and now and then a full one over the
whole heap: a few milliseconds each time, landing on an unlucky request, which is what the
p95 of the list pages and the API list showed.

So, after start-up:

- `gc.freeze()` moves everything alive at that point (modules, classes, settings, URL
  patterns: things that live as long as the process) to a permanent generation the
  collector never walks again. A full collection then costs what the process has gathered
  since, not the whole heap. (Python's documentation recommends it for forking servers for
  the same reason, and it keeps those pages shared after a fork.)
- The young threshold goes from 700 to GC_THRESHOLDS[0]: most of a request's objects are
  then freed by reference counting when the request ends, before any collection has had to
  look at them, instead of being walked, promoted and walked again. The price is that
  objects in reference cycles wait longer to be freed: at most that many net container
  allocations, a few megabytes, well inside a worker's budget (and gunicorn recycles its
  workers every ~2,000 requests anyway).
- The older generations keep their ratios (10 young collections per middle one, 10 middle
  ones per full one; a full one also waits until a quarter of the long-lived objects are
  new): with the start-up heap frozen, a full collection walks only what the process
  gathered since, so there is no reason to make it rarer and keep cyclic garbage longer.

Where it is applied: saas_platform/wsgi.py and asgi.py (every web server process, after the
application is built), Celery's `worker_process_init` (saas_platform/celery.py), and the
benchmarks' request processes (tests/benchmarks/bench_crm.py), so they measure what
production runs.
"""

import gc
import importlib

from django.conf import settings

# (young, middle, old). 50,000 net container allocations: more than most pages allocate
# (the contact list page of 50 rows: ~25,000), so a typical request finishes between two
# young collections. See the module docstring.
GC_THRESHOLDS = (50_000, 10, 10)


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
    gc.collect()  # do not freeze garbage left by start-up
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)

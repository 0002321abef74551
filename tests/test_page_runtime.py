"""What every page's process shares: memoised icons and the GC set-up of a web worker."""

import os
import subprocess
import sys
from pathlib import Path

from django.template import Context, Template
from heroicons.templatetags import heroicons as package_tags

ROOT = Path(__file__).resolve().parents[1]


def test_memoised_icons_render_exactly_as_the_package_does():
    rendered = Template(
        '{% load heroicons %}{% heroicon_mini "user" class="icon" aria_hidden="true" %}'
        '{% heroicon_outline "funnel" size=32 stroke_linecap="round" %}'
    ).render(Context())

    assert rendered.startswith("<svg")
    assert 'class="icon"' in rendered
    assert 'aria-hidden="true"' in rendered
    assert rendered == (
        package_tags._render_icon("mini", "user", 20, {"class": "icon", "aria_hidden": "true"})
        + package_tags._render_icon("outline", "funnel", 32, {"stroke_linecap": "round"})
    )


def test_icon_attributes_from_a_variable_are_escaped():
    rendered = Template('{% load heroicons %}{% heroicon_mini "user" class=css %}').render(
        Context({"css": '"><script>alert(1)</script>'})
    )

    assert "<script>" not in rendered
    assert "&lt;script&gt;" in rendered or "&quot;&gt;&lt;script" in rendered


def test_a_web_process_freezes_its_start_up_heap_and_collects_after_each_request():
    script = (
        "import gc, django; django.setup()\n"
        "from django.core.signals import request_finished\n"
        "from saas_platform.runtime import GC_THRESHOLDS, collect_young_garbage, "
        "prepare_long_running_process\n"
        "prepare_long_running_process()\n"
        "connected = request_finished.disconnect(\n"
        "    collect_young_garbage, dispatch_uid='collect_young_garbage')\n"
        "print(gc.get_threshold() == GC_THRESHOLDS, gc.get_freeze_count() > 10000, connected)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "saas_platform.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]

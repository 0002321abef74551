"""Icons rendered once per process (crm.templatetags.crm_icons) read as heroicons makes them."""

from django.template import engines


def _render(text: str) -> str:
    return engines["django"].from_string(text).render({"label": 'a "quoted" <label>'})


def test_a_cached_icon_is_the_markup_heroicons_gives_each_time():
    tags = (
        '{% heroicon_mini "phone" class="icon" aria_hidden="true" %}'
        '{% heroicon_mini "phone" class="icon big" aria_label=label %}'
        '{% heroicon_outline "user-plus" size=32 class="icon" %}'
    )
    original = _render("{% load heroicons %}" + tags)

    for _round in range(2):
        assert _render("{% load heroicons crm_icons %}" + tags) == original
    assert "&quot;quoted&quot; &lt;label&gt;" in original

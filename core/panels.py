"""Panels: how an app above adds a part to a page of an app below, without that page
naming it.

The page asks for its slot (`{% panels "output" submission %}`, core.templatetags.panels);
an app registers what it adds to the slot in its AppConfig.ready() (`register("output",
render)`). So the output pages of `approvals` show the promotional uses of `publicity`, a
layer above them, and the layer contract holds for templates too.
"""

from collections import defaultdict
from collections.abc import Callable

# slot -> renderers: (template context, the object, **options) -> HTML (already escaped)
_PANELS: dict[str, list[Callable]] = defaultdict(list)


def register(slot: str, render: Callable) -> None:
    if render not in _PANELS[slot]:
        _PANELS[slot].append(render)


def render(slot: str, context, obj, **options) -> str:
    return "".join(renderer(context, obj, **options) for renderer in _PANELS[slot])

"""Public pages: every programme's terms, history and diffs, readable by anyone."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import get_language

from core.languages import use_programme_language

from .models import Programme, TermsVersion
from .services import terms_diff


def programme_list(request):
    programmes = list(Programme.objects.restrict(request.user).order_by("name"))
    now = timezone.now()
    latest = {}
    for terms in (
        TermsVersion.objects.effective(now)
        .filter(programme__in=programmes)
        .select_related("programme")
        .order_by("programme_id", "number")
    ):
        latest[terms.programme_id] = terms  # the last one per programme wins
    rows = [(p, latest.get(p.pk)) for p in programmes]
    return render(request, "programs/list.html", {"rows": rows})


def _visible_programme(request, slug) -> Programme:
    programme = get_object_or_404(Programme.objects.restrict(request.user), slug=slug)
    use_programme_language(request, programme)
    return programme


def terms_detail(request, slug, number):
    programme = _visible_programme(request, slug)
    terms = get_object_or_404(TermsVersion.objects.published(), programme=programme, number=number)
    shown = terms.translation(get_language())
    return render(
        request,
        "programs/terms.html",
        {
            "programme": programme,
            "terms": terms,
            "shown": shown,
            "shown_facts": terms.key_facts(shown.text()) if shown else None,
        },
    )


def terms_diff_view(request, slug):
    programme = _visible_programme(request, slug)
    published = TermsVersion.objects.published().filter(programme=programme)
    try:
        old_n, new_n = int(request.GET.get("from", "")), int(request.GET.get("to", ""))
    except ValueError:
        raise Http404("Give two version numbers: ?from=1&to=2") from None
    old = get_object_or_404(published, number=old_n)
    new = get_object_or_404(published, number=new_n)
    return render(
        request,
        "programs/diff.html",
        {"programme": programme, "diff": terms_diff(old, new), "old": old, "new": new},
    )

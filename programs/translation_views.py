"""A manager publishes a translation of a published terms version: the full text and every
free-text term in one more language, by its own audited event
(`services.terms_translation_publish`).

Kept apart from the terms editor: a version's translations come after it, and never change it.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import refusal_shown_on
from programs import policy
from programs.policy import staff_required

from . import services
from .models import Programme, TermsTranslation, TermsVersion


class TranslationForm(forms.Form):
    """The language, then each free-text term the version states, beside its binding words."""

    language = forms.ChoiceField(label=gettext_lazy("Language"))

    def __init__(self, *args, terms: TermsVersion, **kwargs):
        super().__init__(*args, **kwargs)
        done = set(terms.translations.values_list("language", flat=True))
        self.fields["language"].choices = [
            (code, name)
            for code, name in settings.LANGUAGES
            if code != terms.binding_language and code not in done
        ]
        for name in TermsTranslation.TEXT_FIELDS:
            binding = getattr(terms, name)
            if not binding:
                continue
            model_field = TermsTranslation._meta.get_field(name)
            self.fields[name] = forms.CharField(
                label=str(TermsVersion._meta.get_field(name).verbose_name).capitalize(),
                max_length=model_field.max_length,
                help_text=(
                    _("In the binding text: %(text)s") % {"text": binding} if name != "body" else ""
                ),
                widget=forms.Textarea(attrs={"rows": 12 if name == "body" else 2}),
            )


@staff_required("manage")
def terms_translate(request, slug, number):
    programme = policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)
    terms = get_object_or_404(TermsVersion.objects.published(), programme=programme, number=number)
    form = TranslationForm(request.POST or None, terms=terms)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            translation = services.terms_translation_publish(
                actor=request.user,
                terms=terms,
                language=form.cleaned_data["language"],
                texts={k: v for k, v in form.cleaned_data.items() if k != "language"},
            )
            messages.success(
                request,
                f"The {translation.get_language_display()} translation of version {number} is "
                "published. The binding text is unchanged.",
            )
            return redirect("programs:staff_terms_translate", slug=slug, number=number)
    return render(
        request,
        "programs/staff/terms_translate.html",
        {
            "programme": programme,
            "terms": terms,
            "form": form,
            "translations": terms.translations.select_related("published_by"),
        },
        status=400 if form.errors else 200,
    )

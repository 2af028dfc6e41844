"""A tax-form requirement is a term (`TermsVersion.tax_forms`), no longer a programme setting
that held pay already earned. A programme's ticked forms are carried into the version in force
(the one the setting held pay under) and every version after it, so that nothing a payee was
asked for is lost; versions before it keep no requirement, so pay earned under them is no
longer held. Published versions keep the content hash they were published and consented under.
"""

from django.db import migrations, models
from django.utils import timezone


def carry_into_terms(apps, schema_editor):
    Programme = apps.get_model("programs", "Programme")
    TermsVersion = apps.get_model("programs", "TermsVersion")
    now = timezone.now()
    for programme in Programme.objects.all().iterator():
        if not programme.tax_forms:
            continue
        versions = TermsVersion.objects.filter(programme=programme)
        in_force = (
            versions.filter(status="published", effective_at__lte=now)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        if in_force is not None:
            versions = versions.filter(number__gte=in_force)
        versions.update(tax_forms=list(programme.tax_forms))


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0016_one_payment_date_term"),
    ]

    operations = [
        migrations.AddField(
            model_name="termsversion",
            name="tax_forms",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Pay earned under this version is paid once the tester has sent one "
                "of these forms (in the product). None: paid without.",
                verbose_name="tax form required before payment",
            ),
        ),
        migrations.RunPython(carry_into_terms, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="programme",
            name="tax_forms",
        ),
    ]

"""One payment-date term: `payment_days` (business days after approval, the programme's
holiday calendar) stays; `payment_within_days` (calendar days, added by 0012 the same day)
goes, its values carried over.

A promise of N calendar days becomes N × 5 // 7 business days, so that the carried promise
is never later than the one made; where a version promised both, the earlier of the two
is kept. Published versions keep the content hash they were published and consented under.
"""

from django.db import migrations, models


def carry_over(apps, schema_editor):
    TermsVersion = apps.get_model("programs", "TermsVersion")
    for terms in TermsVersion.objects.exclude(payment_within_days=None).iterator():
        carried = terms.payment_within_days * 5 // 7
        if terms.payment_days is not None:
            carried = min(carried, terms.payment_days)
        TermsVersion.objects.filter(pk=terms.pk).update(payment_days=carried)


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0015_terms_translations"),
    ]

    operations = [
        migrations.RunPython(carry_over, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="termsversion",
            name="payment_within_days",
        ),
        migrations.AlterField(
            model_name="termsversion",
            name="payment_days",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Pay reaches the tester's bank at most this many business days after "
                "finance approves it. The statement shows each payment's expected date from it.",
                null=True,
                verbose_name="payment after approval (business days)",
            ),
        ),
    ]

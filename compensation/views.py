"""Finance pages `/finance/`: the ledger, approvals, awards, export batches and reconciliation.

Every object is fetched through the policy (`Model.objects.restrict(user)`, 404 for
anyone else) and every change goes through `compensation.services`.
"""

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core import l10n
from core.forms import refusal_shown_on, send_once
from core.pagination import keyset_page
from participants.models import Participation
from programs import downloads, policy
from programs.models import Programme, TermsVersion
from programs.policy import staff_required
from programs.selectors import tax_forms_required

from . import services
from .filters import LedgerEntryFilter
from .forms import (
    AwardForm,
    BatchForm,
    MarkPaidForm,
    RateForm,
    ReasonForm,
    ReconcileForm,
    StatementForm,
    TaxStatusForm,
)
from .models import BankFileImport, ExchangeRate, LedgerEntry, PayoutBatch, TaxStatus
from .selectors import (
    batch_entries_by_line,
    batch_pays,
    batch_preview,
    finance_programmes,
    forms_asked,
    ledger_csv,
    payment_due,
    totals_by_currency,
)


def _entries(request):
    return LedgerEntry.objects.restrict(request.user).select_related(
        "programme", "participation__user", "terms_version", "approved_by"
    )


@staff_required("money")
def home(request):
    batches = PayoutBatch.objects.restrict(request.user).select_related("created_by")
    page = keyset_page(batches, request, key="created_at", descending=True, size=25)
    return render(request, "compensation/home.html", {"page": page})


@staff_required("money")
def entries(request):
    filterset = LedgerEntryFilter(request.GET or None, queryset=_entries(request), request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else _entries(request)
    page = keyset_page(qs, request, key="created_at", descending=True, size=50)
    return render(
        request,
        "compensation/entries.html",
        {
            "filter": filterset,
            "page": page,
            "query": request.GET.urlencode(),
            # The running total of everything the filter matches, per currency (one query).
            "filtered_totals": totals_by_currency(qs),
        },
    )


@staff_required("money")
def entries_csv(request):
    """The filtered ledger as CSV, streamed."""
    filterset = LedgerEntryFilter(request.GET or None, queryset=_entries(request), request=request)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else _entries(request)
    qs = qs.select_related("batch").order_by("pk")
    return _stream_entries(qs, "ledger.csv", staff=True)


# The finance export's COPY slices (see selectors.ledger_csv); a participant's statement is one.
LEDGER_SLICE_IDS = 250_000


def _stream_entries(qs, filename: str, *, staff: bool):
    """The entries as CSV, streamed (`selectors.ledger_csv`)."""
    response = StreamingHttpResponse(
        ledger_csv(qs, slice_ids=LEDGER_SLICE_IDS if staff else None),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_required("money")
@require_POST
def entries_approve(request):
    ids = [i for i in request.POST.getlist("entry") if i.isdigit()]
    back = redirect(f"{_entries_url()}?{request.POST.get('query', '')}")
    with refusal_shown_on(request):
        result = services.entries_approve(actor=request.user, entry_ids=ids)
        _say_approved(request, result)
    return back


def _say_approved(request, result) -> None:
    if result.approved:
        messages.success(
            request,
            ngettext("%(count)s entry approved.", "%(count)s entries approved.", result.approved)
            % {"count": result.approved},
        )
    if result.first_approvals:
        messages.warning(
            request,
            ngettext(
                "%(count)s entry above the programme's threshold got your first approval; a "
                "second person must approve.",
                "%(count)s entries above the programme's threshold got your first approval; a "
                "second person must approve.",
                result.first_approvals,
            )
            % {"count": result.first_approvals},
        )
    for pk, message in result.refused[:20]:
        messages.error(
            request, _("Entry %(number)s: %(problem)s") % {"number": pk, "problem": message}
        )


def _entries_url():

    return reverse("compensation:entries")


@staff_required("money")
def entry_detail(request, pk):
    entry = get_object_or_404(_entries(request).select_related("reverses", "batch"), pk=pk)
    reversal = LedgerEntry.objects.filter(reverses=entry).first()
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            with refusal_shown_on(form):
                reversal = services.entry_reverse(
                    actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    _("Entry %(number)s reversed by entry %(reversal)s.")
                    % {"number": entry.pk, "reversal": reversal.pk},
                )
                return redirect("compensation:entry", pk=entry.pk)
    return render(
        request,
        "compensation/entry.html",
        {
            "entry": entry,
            "reversal": reversal,
            "form": form,
            "due": payment_due(entry),
            "today": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


@staff_required("money")
@require_POST
def entry_approve(request, pk):
    entry = get_object_or_404(_entries(request), pk=pk)
    with refusal_shown_on(request):
        entry = services.entry_approve(actor=request.user, entry=entry)
        if entry.state == LedgerEntry.State.APPROVED:
            messages.success(request, _("Entry %(number)s approved.") % {"number": entry.pk})
        else:
            messages.warning(
                request,
                _("First approval recorded; a second person must approve entry %(number)s.")
                % {"number": entry.pk},
            )
    return redirect("compensation:entry", pk=pk)


@staff_required("manage")
def award_new(request):
    form = AwardForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def award() -> str:
            entry = services.award_create(
                actor=request.user,
                participation=data["participation"],
                kind=data["kind"],
                amount=data["amount"],
                currency=data["currency"],
                reason=data["reason"],
            )
            messages.success(
                request,
                _("%(kind)s of %(amount)s recorded.")
                % {
                    "kind": entry.get_kind_display(),
                    "amount": l10n.money(entry.amount, entry.currency),
                },
            )
            return reverse("compensation:entry", args=[entry.pk])

        if (sent := send_once(request, form, award)) is not None:
            return sent
    return render(
        request, "compensation/award_form.html", {"form": form}, status=400 if form.errors else 200
    )


# --- Batches ---------------------------------------------------------------------------


@staff_required("payouts")
def batch_new(request):
    """Choose programmes, period and currency; preview the totals; create the batch."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = BatchForm(data, user=request.user)
    preview = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        with refusal_shown_on(form):
            # The same check the batch's creation runs: what the preview says goes in does.
            _dropped, _kept, candidates = services.batch_check(
                actor=request.user,
                programmes=d["programmes"],
                currency=d["currency"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                method=d["method"],
                sepa_version=d.get("sepa_version", ""),
            )
            preview = batch_preview(candidates, currency=d["currency"])
    if preview is not None:
        preview["tax_waiting"] = services.batch_tax_waiting(
            programmes=d["programmes"],
            currency=d["currency"],
            period_start=d["period_start"],
            period_end=d["period_end"],
            method=d["method"],
        )
        if request.method == "POST":
            with refusal_shown_on(form):
                batch = services.batch_create(
                    actor=request.user,
                    programmes=d["programmes"],
                    currency=d["currency"],
                    period_start=d["period_start"],
                    period_end=d["period_end"],
                    method=d["method"],
                    sepa_version=d.get("sepa_version", ""),
                )
                messages.success(
                    request,
                    ngettext(
                        "Batch %(number)s created with %(count)s entry.",
                        "Batch %(number)s created with %(count)s entries.",
                        batch.entries_count,
                    )
                    % {"number": batch.pk, "count": batch.entries_count},
                )
                return redirect("compensation:batch", pk=batch.pk)
    return render(
        request,
        "compensation/batch_new.html",
        {"form": form, "preview": preview},
        status=400 if form.errors else 200,
    )


def _batch(request, pk) -> PayoutBatch:
    return policy.get_or_404(PayoutBatch.objects.select_related("created_by"), request.user, pk=pk)


@staff_required("money")
def batch_detail(
    request,
    pk,
    *,
    mismatches=None,
    paid_form=None,
    reconcile_form=None,
    statement_form=None,
    statement_report=False,
    status=200,
):
    batch = _batch(request, pk)
    lines = batch.lines.select_related("participation")
    page = keyset_page(lines, request, key="id", size=100)
    made_of = batch_entries_by_line(batch, [line.participation_id for line in page.items])
    for line in page.items:
        line.made_of = made_of.get(line.participation_id, [])
    context = {
        "batch": batch,
        "programmes": list(batch.programmes.all()),
        "page": page,
        "ledger_totals": totals_by_currency(LedgerEntry.objects.filter(batch=batch)),
        "paid_form": paid_form or MarkPaidForm(),
        "reconcile_form": reconcile_form or ReconcileForm(),
        "statement_form": statement_form or StatementForm(method=batch.method),
        "mismatches": mismatches,
        "statement_report": statement_report,
        "imports": batch.imports.select_related("imported_by")[:20],
        "own_batch": batch_pays(batch, request.user),
        "can_match": batch.status == PayoutBatch.Status.READY
        and batch.created_by_id != request.user.pk,
    }
    return render(request, "compensation/batch.html", context, status=status)


@staff_required("money")
def batch_download(request, pk, fmt):
    """The payout file, through the one checked download path."""
    # The bank's or provider's file holds payees' account details in full: only finance of
    # every programme in the batch (the people who build it) may take it; no payee of the
    # batch takes any of its files; each download is audited.
    action = "view" if fmt in ("csv", "xlsx") else "payouts"
    batch = policy.get_or_404(PayoutBatch.objects, request.user, action, pk=pk)
    download = services.batch_file(actor=request.user, batch=batch, variant=fmt)
    if download is None:
        raise Http404("There is no file here.")
    return downloads.send(download)


@staff_required("payouts")
@require_POST
def batch_paid(request, pk):
    batch = _batch(request, pk)
    form = MarkPaidForm(request.POST)
    if form.is_valid():
        with refusal_shown_on(form):
            services.batch_mark_paid(
                actor=request.user,
                batch=batch,
                reference=form.cleaned_data["reference"],
                paid_on=form.cleaned_data["paid_on"],
            )
            messages.success(
                request,
                _("Batch %(number)s marked paid; participants are notified.")
                % {"number": batch.pk},
            )
            return redirect("compensation:batch", pk=pk)
    return batch_detail(request, pk, paid_form=form, status=400)


@staff_required("payouts")
@require_POST
def batch_reconcile(request, pk):
    batch = _batch(request, pk)
    form = ReconcileForm(request.POST, request.FILES)
    if form.is_valid():
        with refusal_shown_on(form) as refused:
            services.batch_reconcile(
                actor=request.user, batch=batch, data=form.cleaned_data["file"].read()
            )
            messages.success(
                request,
                _("Batch %(number)s reconciled: every line is paid.") % {"number": batch.pk},
            )
            return redirect("compensation:batch", pk=pk)
        if mismatches := _mismatches(refused.error):
            return batch_detail(request, pk, reconcile_form=form, mismatches=mismatches, status=400)
        _say_if_settled(request, refused.error)
    return batch_detail(request, pk, reconcile_form=form, status=400)


def _mismatches(error) -> list:
    """The lines a payment file got wrong, when that is why it was refused."""
    return error.mismatches if isinstance(error, services.ReconciliationFailed) else []


def _say_if_settled(request, error) -> None:
    """A settled batch shows no upload form, so its refusal is said at the top of the page."""
    if error is not None and error.code == "settled":
        messages.error(request, error.message)


def _statement_report(batch, report) -> str:
    """What an imported statement or result file did, in one sentence of the reader's language."""
    done = [
        ngettext("%(count)s line paid", "%(count)s lines paid", report.paid)
        % {"count": report.paid}
    ]
    if report.taken_out:
        done.append(
            ngettext(
                "%(count)s taken out of the batch (failed or returned)",
                "%(count)s taken out of the batch (failed or returned)",
                report.taken_out,
            )
            % {"count": report.taken_out}
        )
    if report.remaining:
        done.append(_("%(count)s still unpaid") % {"count": report.remaining})
    text = _(", ").join(done)
    if report.ignored:
        text += _("; ") + ngettext(
            "%(count)s other transaction ignored",
            "%(count)s other transactions ignored",
            report.ignored,
        ) % {"count": report.ignored}
    if batch.method == PayoutBatch.Method.PAYPAL:
        return _("Result file imported: %(what)s.") % {"what": text}
    return _("Statement imported: %(what)s.") % {"what": text}


@staff_required("payouts")
@require_POST
def batch_statement(request, pk):
    """Settle a batch from the bank's camt.053 statement or the provider's result file."""
    batch = _batch(request, pk)
    form = StatementForm(request.POST, request.FILES, method=batch.method)
    if form.is_valid():
        with refusal_shown_on(form) as refused:
            report = services.batch_import_statement(
                actor=request.user, batch=batch, data=form.cleaned_data["file"].read()
            )
            text = _statement_report(batch, report)
            if report.problems:
                messages.warning(request, text + " " + _("Some transactions need a look:"))
                return batch_detail(request, pk, mismatches=report.problems, statement_report=True)
            messages.success(request, text)
            return redirect("compensation:batch", pk=pk)
        if mismatches := _mismatches(refused.error):
            return batch_detail(request, pk, statement_form=form, mismatches=mismatches, status=400)
        _say_if_settled(request, refused.error)
        if batch.method == PayoutBatch.Method.FILE:
            # A CSV batch shows no statement form to hold the error: say it at the top.
            messages.error(request, refused.error.message)
    return batch_detail(request, pk, statement_form=form, status=400)


@staff_required("payouts")
@require_POST
def import_match(request, pk, row):
    """Match a bank line that settled nothing to a line of the batch, by hand."""
    bank_import = get_object_or_404(BankFileImport.objects.select_related("batch"), pk=pk)
    batch = _batch(request, bank_import.batch_id)
    with refusal_shown_on(request):
        line = services.import_match(
            actor=request.user,
            bank_import=bank_import,
            row=row,
            line_key=request.POST.get("line_key", ""),
        )
        messages.success(
            request, _("Line %(key)s matched by hand and paid.") % {"key": line.line_key}
        )
    return redirect(f"{reverse('compensation:batch', args=[batch.pk])}#imports")


@staff_required("payouts")
@require_POST
def batch_retry(request, pk):
    batch = _batch(request, pk)
    with refusal_shown_on(request):
        services.batch_retry(actor=request.user, batch=batch)
        messages.success(request, _("The batch is being built again."))
    return redirect("compensation:batch", pk=pk)


@staff_required("money")
@require_POST
def accrue_now(request):
    """Run the hourly and bounty accruals for my programmes now (beat also runs them)."""

    created = 0
    for programme in finance_programmes(request.user):
        created += services.accrue_hourly(programme=programme).count
        created += services.accrue_bounties(programme=programme).count
    messages.success(
        request,
        ngettext("%(count)s new entry accrued.", "%(count)s new entries accrued.", created)
        % {"count": created},
    )
    return redirect("compensation:entries")


# --- Exchange rates ----------------------------------------------------------------------


@staff_required("payouts")
def rates(request):
    """The rates finance recorded (newest first), and a form to record one."""
    form = RateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            row = services.rate_record(actor=request.user, **form.cleaned_data)
            messages.success(request, _("Rate recorded: %(rate)s.") % {"rate": row})
            return redirect("compensation:rates")
    page = keyset_page(
        ExchangeRate.objects.select_related("recorded_by"), request, key="id", descending=True
    )
    return render(
        request,
        "compensation/rates.html",
        {"form": form, "page": page},
        status=400 if form.errors else 200,
    )


# --- Tax statuses ----------------------------------------------------------------------------


@staff_required("payouts")
def tax_statuses(request):
    """The payees of my programmes that require a tax status, and what is recorded for each."""

    mine = list(finance_programmes(request.user, "payouts"))
    asking = {
        pid
        for pid, forms in TermsVersion.objects.filter(programme__in=mine).values_list(
            "programme_id", "tax_forms"
        )
        if forms
    }
    programmes = [p for p in mine if p.pk in asking]
    for p in programmes:
        p.forms_in_force = [str(Programme.TaxForm(k).label) for k in tax_forms_required(p)]
    people = (
        Participation.objects.filter(programme__in=programmes)
        .select_related("user", "programme", "tax_status")
        .order_by("programme__name", "user__email")
    )
    page = keyset_page(people, request, key="id", size=100)
    return render(
        request,
        "compensation/tax_statuses.html",
        {"page": page, "programmes": programmes, "today": timezone.localdate()},
    )


def _tax_participation(request, pk):
    """A participation whose tax status this person may record (their programme's finance,
    never their own: the policy's "record_tax"), else 404."""

    return policy.get_or_404(
        Participation.objects.select_related("programme", "user"), request.user, "record_tax", pk=pk
    )


@staff_required("payouts")
def tax_status(request, pk):
    participation = _tax_participation(request, pk)
    current = TaxStatus.objects.filter(participation=participation).first()
    asked = forms_asked(participation)
    form = TaxStatusForm(
        request.POST or None,
        request.FILES or None,
        forms=asked,
        initial={"kind": current.kind, "valid_until": current.valid_until} if current else {},
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.tax_status_record(
                actor=request.user, participation=participation, **form.cleaned_data
            )
            messages.success(
                request,
                _("Tax status recorded for %(email)s; their approved pay goes into the next batch.")
                % {"email": participation.user.email},
            )
            return redirect("compensation:tax_status", pk=pk)
    return render(
        request,
        "compensation/tax_status.html",
        {
            "participation": participation,
            "current": current,
            "asked": asked,
            "form": form,
            "today": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


@staff_required("payouts")
def tax_document(request, pk):
    """The signed form, decrypted, to the programme's finance only (one download path)."""
    return downloads.serve(request, pk, model=TaxStatus, action="download")

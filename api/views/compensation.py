"""API: the compensation ledger, approvals, payout batches with their files, and settling a
batch from the bank's or provider's file."""

import base64
import binascii

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import CursorPage
from api.fields import ModelSerializer, StrictInput
from api.idempotency import IDEMPOTENCY_HEADER, IdempotentCreateMixin
from api.views.feedback import VisibleProgrammeField
from compensation import services
from compensation.filters import LedgerEntryFilter
from compensation.models import BankFileImport, LedgerEntry, PayoutBatch, PayoutLine
from core.dates import validate_in_range
from core.errors import DomainError
from core.text import single_line
from programs import downloads

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@extend_schema_field(
    {"type": "string", "description": "One of: " + ", ".join(LedgerEntry.Kind.values) + "."}
)
class LedgerKindField(serializers.ChoiceField):
    """Not a schema enum: `kind` names a ticket's enum too, and enum names must stay unique."""


class LedgerEntrySerializer(ModelSerializer):
    kind = LedgerKindField(choices=LedgerEntry.Kind.choices, read_only=True)
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    participant = serializers.EmailField(source="participation.user.email", read_only=True)
    terms_version = serializers.IntegerField(
        source="terms_version.number", read_only=True, allow_null=True
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "programme",
            "participant",
            "kind",
            "amount",
            "currency",
            "description",
            "earned_on",
            "state",
            "terms_version",
            "reverses",
            "batch",
            "created_at",
            "approved_at",
            "paid_at",
        ]
        read_only_fields = fields


class LedgerEntryList(generics.ListAPIView):
    """Your own entries; for finance and managers also those of their programmes."""

    serializer_class = LedgerEntrySerializer
    filterset_class = LedgerEntryFilter
    pagination_class = CursorPage

    def get_queryset(self):
        return LedgerEntry.objects.restrict(self.request.user).select_related(
            "programme", "participation__user", "terms_version"
        )


class BatchSerializer(ModelSerializer):
    programmes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    method = serializers.CharField(
        read_only=True, help_text="How it is paid: " + ", ".join(PayoutBatch.Method.values) + "."
    )
    # Plain text like `method`: the batch and its detail would name two enums alike.
    status = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(PayoutBatch.Status.values) + "."
    )
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = PayoutBatch
        fields = [
            "id",
            "programmes",
            "currency",
            "period_start",
            "period_end",
            "method",
            "status",
            "progress_percent",
            "rows_total",
            "rows_done",
            "entries_count",
            "total",
            "csv_sha256",
            "xlsx_sha256",
            "error",
            "created_at",
            "paid_reference",
            "paid_at",
        ]
        read_only_fields = fields


class BatchInput(StrictInput, serializers.Serializer):
    programmes = serializers.ListField(child=VisibleProgrammeField(), min_length=1)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", help_text="An ISO 4217 code, e.g. EUR.")
    period_start = serializers.DateField(validators=[validate_in_range])
    period_end = serializers.DateField(validators=[validate_in_range])
    # Plain text, not schema enums (their names would collide): the service checks them (422).
    method = serializers.CharField(
        required=False,
        default="file",
        max_length=10,
        validators=[single_line],
        help_text="How it is paid: " + ", ".join(PayoutBatch.Method.values) + ".",
    )
    sepa_version = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=20,
        validators=[single_line],
        help_text="A SEPA batch's file: pain.001.001.09 (the default) or pain.001.001.03.",
    )

    def create(self, validated_data):
        d = validated_data
        user = self.context["request"].user
        batch = services.batch_create(
            actor=user,
            programmes=d["programmes"],
            currency=d["currency"],
            period_start=d["period_start"],
            period_end=d["period_end"],
            method=d["method"],
            sepa_version=d["sepa_version"],
        )
        return _batches(user).get(pk=batch.pk)

    def to_representation(self, instance):
        return BatchSerializer(instance, context=self.context).data


def _batches(user):
    return PayoutBatch.objects.restrict(user).prefetch_related("programmes")


class BatchList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """Payout batches of your programmes (finance, managers). POST (finance) creates one."""

    serializer_class = BatchSerializer
    pagination_class = CursorPage
    filter_backends = []

    def get_queryset(self):
        return _batches(self.request.user)

    @extend_schema(
        request=BatchInput, responses={201: BatchSerializer}, parameters=[IDEMPOTENCY_HEADER]
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def get_serializer_class(self):
        return BatchInput if self.request.method == "POST" else BatchSerializer


class PayoutLineSerializer(ModelSerializer):
    line_key = serializers.CharField(
        read_only=True, help_text="What a hand match names: the batch and the participation."
    )
    end_to_end_id = serializers.CharField(
        read_only=True, help_text="The reference the bank or provider carries back."
    )
    state = serializers.CharField(
        read_only=True, help_text="One of: " + ", ".join(PayoutLine.State.values) + "."
    )

    class Meta:
        model = PayoutLine
        fields = [
            "line_key",
            "end_to_end_id",
            "state",
            "amount",
            "currency",
            "entries_count",
            "paid_reference",
            "paid_at",
            "outcome_reason",
            "outcome_on",
        ]
        read_only_fields = fields


class BatchDetailSerializer(BatchSerializer):
    lines = PayoutLineSerializer(many=True, read_only=True)

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "lines"]
        read_only_fields = fields


def _with_lines(user):
    return _batches(user).prefetch_related(Prefetch("lines", PayoutLine.objects.order_by("pk")))


def _batch_detail(user, pk: int):
    return get_object_or_404(_with_lines(user), pk=pk)


class BatchDetail(generics.RetrieveAPIView):
    """A batch: its status, build progress, totals, the checksums of its files and its lines
    (each with its state: sent, paid, failed or returned, and why)."""

    serializer_class = BatchDetailSerializer

    def get_queryset(self):
        return _with_lines(self.request.user)


class _PassthroughRenderer(renderers.BaseRenderer):
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return renderers.JSONRenderer().render(data)


class CsvRenderer(_PassthroughRenderer):
    media_type = CSV_TYPE
    format = "csv"


class XlsxRenderer(_PassthroughRenderer):
    media_type = XLSX_TYPE
    format = "xlsx"


class BatchDownload(APIView):
    """The batch file as stored (the same bytes the page serves); `X-Checksum-SHA256` header."""

    renderer_classes = [renderers.JSONRenderer, CsvRenderer, XlsxRenderer]

    def handle_exception(self, exc):
        """A refusal is JSON, whichever file was asked for (`?format=csv` included)."""
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["csv", "xlsx"])
        ],
        responses={
            (200, CSV_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    def get(self, request, pk, fmt):
        batch = get_object_or_404(PayoutBatch.objects.restrict(request.user), pk=pk)
        if fmt not in ("csv", "xlsx"):
            # The bank's and providers' files (account numbers in full) are served only by the
            # finance pages, to finance of the batch's programmes.
            raise Http404("There is no file here.")
        download = services.batch_file(actor=request.user, batch=batch, variant=fmt)
        if download is None:
            raise Http404("The file is not ready yet.")
        return downloads.send(download)


# --- Approving entries, and settling batches from files -------------------------------------


class EntriesApproveInput(StrictInput, serializers.Serializer):
    entries = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2_147_483_647),
        min_length=1,
        max_length=500,
        help_text="Ledger entry ids.",
    )


class RefusedEntrySerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    message = serializers.CharField()


class EntriesApproveResult(serializers.Serializer):
    approved = serializers.IntegerField()
    first_approvals = serializers.IntegerField(
        help_text="Entries above a programme's threshold that got your first approval of two."
    )
    refused = RefusedEntrySerializer(many=True)


class EntriesApprove(APIView):
    """Approve ledger entries (finance and managers). The maker-checker rule holds: nobody
    approves their own pay or money they created; above a programme's two-person threshold
    your approval is the first of two. Each entry you may not approve is listed with why."""

    @extend_schema(request=EntriesApproveInput, responses={200: EntriesApproveResult})
    def post(self, request):
        data = EntriesApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.entries_approve(
            actor=request.user, entry_ids=data.validated_data["entries"]
        )
        return Response(
            {
                "approved": result.approved,
                "first_approvals": result.first_approvals,
                "refused": [{"entry": pk, "message": m} for pk, m in result.refused],
            }
        )


class BankFileImportSerializer(ModelSerializer):
    problems = serializers.JSONField(
        read_only=True,
        help_text="What did not settle a line: [{row, reference, problem, amount, currency, "
        "booked_on, bank_reference, matched_line}].",
    )

    class Meta:
        model = BankFileImport
        fields = [
            "id",
            "what",
            "sha256",
            "imported_at",
            "applied",
            "paid",
            "taken_out",
            "ignored",
            "problems",
        ]
        read_only_fields = fields


class BankFileInput(StrictInput, serializers.Serializer):
    file_base64 = serializers.CharField(
        max_length=14_000_000,
        validators=[single_line],
        help_text="The file, base64: a camt.053, camt.054 or pain.002 (SEPA batch), PayPal's "
        "result file, Wise's statement, or the reference,amount,date CSV (a CSV batch).",
    )


class BatchImports(APIView):
    """The files imported to settle a batch, newest first (kept whether applied or refused,
    with their problems). POST imports one (finance of every programme of the batch): 200
    with what it did; a refused file answers 409 or 422 and is kept, read it here."""

    @extend_schema(responses={200: BankFileImportSerializer(many=True)})
    def get(self, request, pk):
        batch = get_object_or_404(PayoutBatch.objects.restrict(request.user), pk=pk)
        rows = batch.imports.all()[:100]
        return Response(BankFileImportSerializer(rows, many=True).data)

    @extend_schema(request=BankFileInput, responses={200: BankFileImportSerializer})
    def post(self, request, pk):
        batch = get_object_or_404(PayoutBatch.objects.restrict(request.user), pk=pk)
        data = BankFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            raw = base64.b64decode(data.validated_data["file_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise DomainError("file_base64 is not base64.", field="file_base64") from None
        if batch.method == PayoutBatch.Method.FILE:
            services.batch_reconcile(actor=request.user, batch=batch, data=raw)
        else:
            services.batch_import_statement(actor=request.user, batch=batch, data=raw)
        return Response(BankFileImportSerializer(batch.imports.first()).data)


class MarkPaidInput(StrictInput, serializers.Serializer):
    reference = serializers.CharField(
        max_length=120, validators=[single_line], help_text="The payment's reference."
    )
    paid_on = serializers.DateField(validators=[validate_in_range], help_text="The day it left.")


class BatchMarkPaid(APIView):
    """Mark a batch paid by hand (finance of every programme of the batch, not one of its
    payees): every line still sent gets the reference and day. A line the provider or bank
    reported as failed or returned is already out of the batch and never covered."""

    @extend_schema(request=MarkPaidInput, responses={200: BatchDetailSerializer})
    def post(self, request, pk):
        data = MarkPaidInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch = _batch_detail(request.user, pk)
        services.batch_mark_paid(actor=request.user, batch=batch, **data.validated_data)
        return Response(BatchDetailSerializer(_batch_detail(request.user, pk)).data)


class ImportMatchInput(StrictInput, serializers.Serializer):
    problem = serializers.IntegerField(
        min_value=0,
        max_value=100_000,
        help_text="The bank line: its index in the import's `problems`, from 0.",
    )
    line_key = serializers.CharField(
        max_length=40, validators=[single_line], help_text="The batch line it pays."
    )


class BankImportMatch(APIView):
    """Match a bank line that settled nothing (a problem of an applied import) to an unsettled
    line of the batch by hand: finance other than the person who built the batch, for the
    line's exact amount and currency; audited. Answers the import, the problem marked."""

    @extend_schema(request=ImportMatchInput, responses={200: BankFileImportSerializer})
    def post(self, request, pk):
        data = ImportMatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        visible = PayoutBatch.objects.restrict(request.user)
        bank_import = get_object_or_404(BankFileImport.objects.filter(batch__in=visible), pk=pk)
        services.import_match(
            actor=request.user,
            bank_import=bank_import,
            row=data.validated_data["problem"],
            line_key=data.validated_data["line_key"],
        )
        bank_import.refresh_from_db()
        return Response(BankFileImportSerializer(bank_import).data)

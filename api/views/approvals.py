"""API: output submissions for share approval, and the reviewer's claim and decision."""

import django_filters
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import CursorPage
from api.fields import BlankAsNullURLField, ModelSerializer, StrictInput
from api.idempotency import IDEMPOTENCY_HEADER, IdempotentCreateMixin
from api.views.feedback import VisibleProgrammeField
from approvals import services
from approvals.filters import SubmissionFilter
from approvals.models import OutputSubmission, ReasonCode, ReviewDecision
from core.dates import validate_in_range
from core.db import limit
from core.errors import DomainError
from core.text import single_line
from programs import policy
from programs.models import Programme


class DecisionSerializer(ModelSerializer):
    reason = serializers.CharField(source="reason.code", read_only=True, allow_null=True)
    reason_label = serializers.CharField(source="reason.label", read_only=True, allow_null=True)

    class Meta:
        model = ReviewDecision
        fields = ["stage", "outcome", "reason", "reason_label", "note", "decided_at"]
        read_only_fields = fields


class SubmissionSerializer(ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    participant = serializers.EmailField(source="participant.email", read_only=True)
    claimed_by = serializers.EmailField(source="claimed_by.email", read_only=True, allow_null=True)
    has_file = serializers.SerializerMethodField()
    proof_url = serializers.SerializerMethodField()
    decisions = DecisionSerializer(many=True, read_only=True)
    # null, not "", for an uploaded file: "" is not a URI.
    url = BlankAsNullURLField(read_only=True)

    class Meta:
        model = OutputSubmission
        fields = [
            "id",
            "programme",
            "participant",
            "title",
            "prompt",
            "url",
            "has_file",
            "file_type",
            "content_hash",
            "intended_use",
            "intended_venue",
            "intended_date",
            "status",
            "version",
            "previous",
            "submitted_at",
            "due_at",
            "decided_at",
            "claimed_by",
            "claim_expires_at",
            "proof_url",
            "decisions",
        ]
        read_only_fields = fields

    def get_has_file(self, submission) -> bool:
        return bool(submission.file)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_proof_url(self, submission):
        """The public page that proves the approval (terms version, date, hash), once
        approved; null before."""
        if not (submission.is_approved and submission.verify_token):
            return None
        path = reverse("approvals:verify", args=[submission.verify_token])
        request = self.context.get("request")
        # Always an absolute address, as the schema says (an answer built without the
        # request, such as a decision's, uses the site's own address).
        return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


class SubmissionInput(StrictInput, serializers.Serializer):
    """Exactly one of `file` (multipart upload) or `url`."""

    programme = VisibleProgrammeField()
    title = serializers.CharField(max_length=200, validators=[single_line])
    intended_use = serializers.ChoiceField(choices=OutputSubmission.IntendedUse.choices)
    prompt = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limit(OutputSubmission, "prompt")
    )
    intended_venue = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, validators=[single_line]
    )
    intended_date = serializers.DateField(
        required=False, default=None, validators=[validate_in_range]
    )
    # Left out when not sent; never `null` (a multipart form cannot send one).
    file = serializers.FileField(required=False, default=None)
    url = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)

    def create(self, validated_data):
        d = validated_data
        return services.submission_create(
            actor=self.context["request"].user,
            programme=d["programme"],
            title=d["title"],
            intended_use=d["intended_use"],
            prompt=d["prompt"],
            intended_venue=d["intended_venue"],
            intended_date=d["intended_date"],
            upload=d["file"],
            url=d["url"],
        )

    def to_representation(self, instance):
        return SubmissionSerializer(instance, context=self.context).data


class SubmissionApiFilter(SubmissionFilter):
    """The queue's filters, with every status: a tester lists their approved outputs with
    `?status=approved` (without a status, the open ones are listed, as in the queue)."""

    status = django_filters.ChoiceFilter(
        choices=OutputSubmission.Status.choices, empty_label="Any open status"
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        user = request.user if request is not None else AnonymousUser()
        super().__init__(
            data,
            queryset=queryset,
            request=request,
            prefix=prefix,
            programmes=Programme.objects.restrict(user).order_by("name"),
        )


def _submissions(user):
    return OutputSubmission.objects.restrict(user).select_related(
        "programme", "participant", "claimed_by"
    )


class SubmissionList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """Your outputs, and (for reviewers and managers) those of your programmes.

    POST submits one: multipart with `file`, or JSON with `url`.
    """

    serializer_class = SubmissionSerializer
    filterset_class = SubmissionApiFilter
    pagination_class = CursorPage
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return _submissions(self.request.user).prefetch_related("decisions__reason")

    @extend_schema(
        request=SubmissionInput,
        responses={201: SubmissionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def get_serializer_class(self):
        return SubmissionInput if self.request.method == "POST" else SubmissionSerializer


class SubmissionDetail(generics.RetrieveAPIView):
    serializer_class = SubmissionSerializer

    def get_queryset(self):
        return _submissions(self.request.user).prefetch_related("decisions__reason")


def _for_review(request, pk) -> OutputSubmission:
    """An item this person may review: their programmes', never their own (404 otherwise)."""
    return policy.get_or_404(
        OutputSubmission.objects.select_related("programme"), request.user, "review", pk=pk
    )


class SubmissionClaim(APIView):
    """Claim an item for review so that no other reviewer works on it meanwhile."""

    @extend_schema(request=None, responses={200: SubmissionSerializer})
    def post(self, request, pk):
        submission = services.submission_claim(
            actor=request.user, submission=_for_review(request, pk)
        )
        return Response(
            SubmissionSerializer(_reload(request, submission), context={"request": request}).data
        )


class DecisionInput(StrictInput, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReviewDecision.REVIEWER_OUTCOMES)
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="A reason code of the programme (its id or its code); needed unless approving.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


def _reload(request, submission) -> OutputSubmission:
    return _submissions(request.user).prefetch_related("decisions__reason").get(pk=submission.pk)


class SubmissionDecide(APIView):
    """Approve, reject or request changes (or decide an appeal). Anything but approval needs a
    reason."""

    @extend_schema(request=DecisionInput, responses={200: SubmissionSerializer})
    def post(self, request, pk):
        submission = _for_review(request, pk)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        reason = None
        given = d["reason"].strip()
        if given:
            codes = ReasonCode.objects.filter(programme_id=submission.programme_id)
            lookup = {"pk": int(given)} if given.isdigit() and len(given) < 10 else {"code": given}
            reason = codes.filter(**lookup).first()
            if reason is None:
                # The schema cannot list each programme's codes: the rules refuse it (422).
                raise DomainError("Choose a reason from this programme's list.", field="reason")
        services.submission_decide(
            submission=submission,
            actor=request.user,
            outcome=d["outcome"],
            reason=reason,
            note=d["note"],
        )
        return Response(
            SubmissionSerializer(_reload(request, submission), context={"request": request}).data
        )

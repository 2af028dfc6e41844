"""API: promotional uses (a manager asks, the tester answers), training use per output (which
outputs the product under test may train on), and competitions with their odds."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import CursorPage
from api.fields import ModelSerializer, StrictInput
from api.idempotency import IDEMPOTENCY_HEADER, IdempotentCreateMixin
from approvals.models import OutputSubmission
from core.dates import validate_in_range
from core.text import single_line
from programs import policy
from programs.models import Programme
from publicity import selectors, services
from publicity.models import Competition, PromotionalUse


class PromotionalUseSerializer(ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    participant = serializers.EmailField(source="participant.email", read_only=True)
    terms_version = serializers.IntegerField(source="terms_version.number", read_only=True)

    class Meta:
        model = PromotionalUse
        fields = [
            "id",
            "programme",
            "submission",
            "participant",
            "terms_version",
            "channel",
            "period_start",
            "period_end",
            "territory",
            "credit_line",
            "fee",
            "currency",
            "status",
            "requested_at",
            "answered_at",
            "ledger_entry",
        ]
        read_only_fields = fields


class UseRequestInput(StrictInput, serializers.Serializer):
    submission = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=PromotionalUse.Channel.choices)
    period_start = serializers.DateField(validators=[validate_in_range])
    period_end = serializers.DateField(validators=[validate_in_range])
    territory = serializers.CharField(max_length=120, validators=[single_line])
    credit_line = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", validators=[single_line]
    )

    def create(self, validated_data):
        d = validated_data
        user = self.context["request"].user
        submission = policy.get_or_404(
            OutputSubmission.objects.all(), user, "promote", pk=d["submission"]
        )
        return services.use_request(
            actor=user,
            submission=submission,
            channel=d["channel"],
            period_start=d["period_start"],
            period_end=d["period_end"],
            territory=d["territory"],
            credit_line=d["credit_line"],
        )

    def to_representation(self, instance):
        return PromotionalUseSerializer(instance, context=self.context).data


class PromotionalUseList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """Uses of your outputs, and (for staff) of your programmes' outputs. POST (managers):
    ask to use an approved output in promotion."""

    pagination_class = CursorPage

    def get_queryset(self):
        return (
            PromotionalUse.objects.restrict(self.request.user)
            .select_related("programme", "participant", "terms_version")
            .order_by("-requested_at", "-pk")
        )

    def get_serializer_class(self):
        return UseRequestInput if self.request.method == "POST" else PromotionalUseSerializer

    @extend_schema(request=UseRequestInput, responses={201: PromotionalUseSerializer})
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)


class RequiredBoolean(serializers.BooleanField):
    """A yes or no that must be given: a form post without it is not a "no" (DRF reads a
    missing HTML checkbox as False), so an empty request declines nothing."""

    default_empty_html = serializers.empty


class AnswerInput(StrictInput, serializers.Serializer):
    accept = RequiredBoolean()


class PromotionalUseAnswer(APIView):
    """The tester accepts or declines a request (a decline is final for that request)."""

    @extend_schema(request=AnswerInput, responses={200: PromotionalUseSerializer})
    def post(self, request, pk):
        use = get_object_or_404(PromotionalUse.objects.mine(request.user), pk=pk)
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        use = services.use_answer(actor=request.user, use=use, accept=data.validated_data["accept"])
        return Response(PromotionalUseSerializer(use).data)


class TrainingRowSerializer(serializers.Serializer):
    submission = serializers.IntegerField()
    content_hash = serializers.CharField()
    training_allowed = serializers.BooleanField()
    terms_version = serializers.IntegerField(allow_null=True)


class TrainingInput(StrictInput, serializers.Serializer):
    submission = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="An output of yours; leave out to set your default.",
    )
    allowed = RequiredBoolean()


class TrainingView(APIView):
    """GET: the programme's outputs you may see, each with whether it may be used for
    training now (the product under test honours it). POST: your choice, per output or your
    default, from now on."""

    def _programme(self, request, slug):
        return get_object_or_404(Programme.objects.restrict(request.user), slug=slug)

    @extend_schema(responses={200: TrainingRowSerializer(many=True)})
    def get(self, request, slug):
        programme = self._programme(request, slug)
        return Response(
            TrainingRowSerializer(selectors.training_list(programme, request.user), many=True).data
        )

    @extend_schema(request=TrainingInput, responses={201: TrainingRowSerializer(many=True)})
    def post(self, request, slug):
        programme = self._programme(request, slug)
        data = TrainingInput(data=request.data)
        data.is_valid(raise_exception=True)
        submission = None
        if data.validated_data["submission"]:
            submission = get_object_or_404(
                OutputSubmission.objects.mine(request.user).filter(programme=programme),
                pk=data.validated_data["submission"],
            )
        services.training_choose(
            actor=request.user,
            programme=programme,
            submission=submission,
            allowed=data.validated_data["allowed"],
        )
        rows = selectors.training_list(programme, request.user)
        return Response(TrainingRowSerializer(rows, many=True).data, status=201)


class CompetitionSerializer(ModelSerializer):
    entries = serializers.SerializerMethodField()
    odds = serializers.CharField(read_only=True)

    class Meta:
        model = Competition
        fields = [
            "id",
            "title",
            "criteria",
            "prize_count",
            "prize_amount",
            "currency",
            "judges",
            "entry_deadline",
            "results_by",
            "status",
            "published_at",
            "entries",
            "odds",
        ]
        read_only_fields = fields

    def get_entries(self, competition) -> int:
        if competition.entries_at_results is not None:
            return competition.entries_at_results
        return competition.entries.count()


class CompetitionInput(StrictInput, serializers.Serializer):
    title = serializers.CharField(max_length=200, validators=[single_line])
    criteria = serializers.CharField(max_length=5000)
    prize_count = serializers.IntegerField(min_value=1, max_value=1000)
    prize_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="An ISO 4217 code, e.g. EUR (empty: the programme's).",
    )
    judges = serializers.CharField(max_length=500, validators=[single_line])
    entry_deadline = serializers.DateTimeField(validators=[validate_in_range])
    results_by = serializers.DateTimeField(validators=[validate_in_range])


class CompetitionList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """A programme's competitions: prizes, criteria, judges, deadlines, entries and odds
    (public). POST: a manager announces one, with everything stated up front."""

    serializer_class = CompetitionSerializer
    pagination_class = None

    def get_permissions(self):
        if self.request.method == "GET":
            return [AllowAny()]  # public, like the programme's figures
        return super().get_permissions()

    def _programme(self):
        return get_object_or_404(
            Programme.objects.restrict(self.request.user), slug=self.kwargs["slug"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Competition.objects.none()
        return Competition.objects.filter(programme=self._programme()).order_by(
            "entry_deadline", "pk"
        )

    @extend_schema(
        request=CompetitionInput,
        responses={201: CompetitionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        data = CompetitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        competition = services.competition_create(
            actor=request.user, programme=self._programme(), **data.validated_data
        )
        return Response(CompetitionSerializer(competition).data, status=201)


def _competition(request, pk) -> Competition:
    """A competition of a programme this person may see (404 otherwise)."""
    visible = Programme.objects.restrict(request.user).values("pk")
    return get_object_or_404(Competition.objects.filter(programme__in=visible), pk=pk)


class EntryInput(StrictInput, serializers.Serializer):
    submission = serializers.IntegerField(min_value=1, help_text="One of your outputs.")


class CompetitionEnter(APIView):
    """A tester enters one of their outputs before the deadline."""

    @extend_schema(request=EntryInput, responses={201: CompetitionSerializer})
    def post(self, request, pk):
        competition = _competition(request, pk)
        data = EntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        submission = get_object_or_404(
            OutputSubmission.objects.mine(request.user),
            pk=data.validated_data["submission"],
        )
        services.competition_enter(
            actor=request.user, competition=competition, submission=submission
        )
        competition.refresh_from_db()
        return Response(CompetitionSerializer(competition).data, status=201)


class ResultsInput(StrictInput, serializers.Serializer):
    winners = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=1000,
        help_text="The winning entries' ids, first prize first.",
    )


class CompetitionResults(APIView):
    """The judges (reviewers and managers without an entry) publish the results: the
    winners and the number of entries, so the odds are public; each prize accrues once."""

    @extend_schema(request=ResultsInput, responses={200: CompetitionSerializer})
    def post(self, request, pk):
        competition = _competition(request, pk)
        data = ResultsInput(data=request.data)
        data.is_valid(raise_exception=True)
        competition = services.competition_publish(
            actor=request.user, competition=competition, winners=data.validated_data["winners"]
        )
        return Response(CompetitionSerializer(competition).data)

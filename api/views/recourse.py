"""API: contests of decisions that cost a tester. Visibility and rules are the pages'."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import CursorPage
from api.fields import ModelSerializer, StrictInput
from api.idempotency import IDEMPOTENCY_HEADER, IdempotentCreateMixin
from compensation.models import LedgerEntry, PayoutLine
from core.db import limit
from feedback.models import Ticket
from labour.models import TimeEntry
from participants.models import Consent
from programs import policy
from publicity.models import CompetitionEntry, PromotionalUse
from recourse import services
from recourse.models import Contest


class ContestSerializer(ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tester = serializers.EmailField(source="tester.email", read_only=True)
    decided_by = serializers.EmailField(source="decided_by.email", read_only=True, allow_null=True)
    # A plain string in the schema: another "kind" enum (tickets', the ledger's) has the name.
    kind = serializers.CharField(
        read_only=True,
        help_text="What is contested: ticket, hours, pay, result, fee, payout or award.",
    )

    class Meta:
        model = Contest
        fields = [
            "id",
            "programme",
            "tester",
            "kind",
            "ticket",
            "time_entry",
            "ledger_entry",
            "competition_entry",
            "promotional_use",
            "payout_line",
            "consent",
            "amount_owed",
            "round",
            "reason_code",
            "reason_label",
            "text",
            "evidence",
            "filed_at",
            "due_at",
            "status",
            "decided_by",
            "decided_at",
            "answer",
        ]
        read_only_fields = fields


# The records a contest names, one of which a POST gives.
RECORDS = (
    "ticket",
    "time_entry",
    "ledger_entry",
    "competition_entry",
    "promotional_use",
    "payout_line",
    "consent",
)


class ContestInput(StrictInput, serializers.Serializer):
    """What a tester contests: one of their closed tickets, disputed time entries, reversed
    entries of pay, competition entries left without a prize, promotional uses' fees or
    payments that failed or came back."""

    ticket = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    time_entry = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    ledger_entry = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="An entry of your pay reversed."
    )
    competition_entry = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Your entry in a competition whose published results gave it no prize.",
    )
    promotional_use = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="A promotional use of your output whose fee you contest.",
    )
    payout_line = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="A payment to you that failed or came back, whose outcome you contest.",
    )
    consent = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Your acceptance of terms that promise a grant or prize never made.",
    )
    reason = serializers.CharField(
        max_length=40, help_text="A code of the programme's list of contest reasons."
    )
    text = serializers.CharField(max_length=limit(Contest, "text"))
    evidence = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limit(Contest, "evidence")
    )

    def validate(self, attrs):
        if sum(k in attrs for k in RECORDS) != 1:
            raise serializers.ValidationError(f"Give one of {', '.join(RECORDS)}.", code="one_of")
        return attrs

    def create(self, validated_data):
        d = validated_data
        user = self.context["request"].user
        mine = {
            "ticket": Ticket.objects.filter(reporter=user),
            "time_entry": TimeEntry.objects.filter(user=user),
            "ledger_entry": LedgerEntry.objects.filter(participation__user=user),
            "competition_entry": CompetitionEntry.objects.filter(entrant=user),
            "promotional_use": PromotionalUse.objects.filter(participant=user),
            "payout_line": PayoutLine.objects.filter(participation__user=user),
            "consent": Consent.objects.filter(participation__user=user),
        }
        found = {}
        for name, records in mine.items():
            if name in d:
                found[name] = records.filter(pk=d[name]).first()
                if found[name] is None:
                    raise NotFound(f"No {name.replace('_', ' ')} #{d[name]} of yours.")
        return services.contest_open(
            actor=user,
            ticket=found.get("ticket"),
            entry=found.get("time_entry"),
            pay=found.get("ledger_entry"),
            result=found.get("competition_entry"),
            fee=found.get("promotional_use"),
            line=found.get("payout_line"),
            consent=found.get("consent"),
            reason=d["reason"],
            text=d["text"],
            evidence=d["evidence"],
        )

    def to_representation(self, instance):
        return ContestSerializer(instance, context=self.context).data


def _contests(user):
    return Contest.objects.restrict(user).select_related("programme", "tester", "decided_by")


class ContestCursor(CursorPage):
    ordering = ("-filed_at", "-pk")


class ContestList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """Your contests, and (for staff) those of your programmes. POST contests a decision."""

    serializer_class = ContestSerializer
    pagination_class = ContestCursor

    def get_queryset(self):
        return _contests(self.request.user)

    @extend_schema(
        request=ContestInput, responses={201: ContestSerializer}, parameters=[IDEMPOTENCY_HEADER]
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def get_serializer_class(self):
        return ContestInput if self.request.method == "POST" else ContestSerializer


class ContestDetail(generics.RetrieveAPIView):
    serializer_class = ContestSerializer

    def get_queryset(self):
        return _contests(self.request.user)


class ContestAnswerInput(StrictInput, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("upheld", "upheld"), ("dismissed", "dismissed")])
    answer = serializers.CharField(max_length=limit(Contest, "answer"))
    owed = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text="A fee contest upheld: the fee the terms promise (the difference is owed); "
        "a payout contest upheld: what the failed payment cost the tester (owed); an award "
        "contest upheld: the award the terms promise (made now).",
    )


class ContestAnswer(APIView):
    """Answer a contest in writing: upheld changes the decision now; dismissed leaves it."""

    @extend_schema(request=ContestAnswerInput, responses={200: ContestSerializer})
    def post(self, request, pk):
        contest = policy.get_or_404(_contests(request.user), request.user, pk=pk)
        data = ContestAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        contest = services.contest_decide(
            actor=request.user,
            contest=contest,
            upheld=data.validated_data["outcome"] == "upheld",
            answer=data.validated_data["answer"],
            owed=data.validated_data.get("owed"),
        )
        return Response(ContestSerializer(contest, context={"request": request}).data)

"""API: programmes with key facts and current terms, terms versions and diffs."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import CursorPage
from api.fields import ModelSerializer, StrictInput
from programs import policy
from programs import services as programme_services
from programs.models import Programme, TermsVersion, ThresholdChange
from programs.selectors import current_terms
from programs.services import terms_diff
from transparency import figures as transparency


class TermsSerializer(ModelSerializer):
    key_facts = serializers.ListField(child=serializers.CharField(), read_only=True)
    bounty_table = serializers.DictField(child=serializers.CharField(), read_only=True)
    expected_activities = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = TermsVersion
        fields = ["number", "status", "published_at", "effective_at", "content_hash", "key_facts"]
        fields += list(TermsVersion.TERMS_FIELDS)
        read_only_fields = fields


class ProgrammeSerializer(ModelSerializer):
    class Meta:
        model = Programme
        fields = [
            "slug",
            "name",
            "product",
            "summary",
            "status",
            "currency",
            "reference_hourly_rate",
        ]
        read_only_fields = fields


class ProgrammeDetailSerializer(ProgrammeSerializer):
    current_terms = serializers.SerializerMethodField()

    class Meta(ProgrammeSerializer.Meta):
        fields = ProgrammeSerializer.Meta.fields + ["current_terms"]
        read_only_fields = fields

    def get_current_terms(self, programme) -> dict | None:
        terms = current_terms(programme)
        return TermsSerializer(terms).data if terms else None


class SlugCursor(CursorPage):
    ordering = "slug"


class NumberCursor(CursorPage):
    ordering = "-number"


class ProgrammeList(generics.ListAPIView):
    """Programmes you may see: every public one, and drafts you are staff of."""

    serializer_class = ProgrammeSerializer
    permission_classes = [AllowAny]
    pagination_class = SlugCursor

    def get_queryset(self):
        return Programme.objects.restrict(self.request.user)


class ProgrammeDetail(generics.RetrieveAPIView):
    """A programme with its key facts and the full terms in force."""

    serializer_class = ProgrammeDetailSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self):
        return Programme.objects.restrict(self.request.user)


def visible_programme(request, slug) -> Programme:
    return get_object_or_404(Programme.objects.restrict(request.user), slug=slug)


class TermsList(generics.ListAPIView):
    """Every published version of a programme's terms, newest first."""

    serializer_class = TermsSerializer
    permission_classes = [AllowAny]
    pagination_class = NumberCursor

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TermsVersion.objects.none()
        programme = visible_programme(self.request, self.kwargs["slug"])
        return TermsVersion.objects.published().filter(programme=programme)


class TermsDetail(generics.RetrieveAPIView):
    serializer_class = TermsSerializer
    permission_classes = [AllowAny]
    lookup_field = "number"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TermsVersion.objects.none()
        programme = visible_programme(self.request, self.kwargs["slug"])
        return TermsVersion.objects.published().filter(programme=programme)


DiffSerializer = inline_serializer(
    "TermsDiff",
    {
        "old": serializers.IntegerField(),
        "new": serializers.IntegerField(),
        "fields": serializers.ListField(child=serializers.DictField()),
        "body": serializers.ListField(child=serializers.CharField()),
    },
)


class TermsDiffView(APIView):
    """Changed fields side by side and the body as a unified diff."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, required=True),
            OpenApiParameter("to", OpenApiTypes.INT, required=True),
        ],
        responses={200: DiffSerializer},
    )
    def get(self, request, slug):
        programme = visible_programme(request, slug)
        try:
            old_n, new_n = int(request.query_params["from"]), int(request.query_params["to"])
        except (KeyError, ValueError):
            raise serializers.ValidationError(
                {"from": ["Give two version numbers: ?from=1&to=2"]}
            ) from None
        published = TermsVersion.objects.published().filter(programme=programme)
        old = get_object_or_404(published, number=old_n)
        new = get_object_or_404(published, number=new_n)
        return Response(terms_diff(old, new))


class FiguresView(APIView):
    """The programme's public transparency figures: the latest snapshot, as the page shows."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, slug):

        programme = visible_programme(request, slug)
        return Response(transparency.latest(programme).figures)


# --- The two-person threshold: a change proposed by one manager, confirmed by another ------


class ThresholdChangeSerializer(ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    proposed_by = serializers.EmailField(source="proposed_by.email", read_only=True)
    confirmed_by = serializers.EmailField(
        source="confirmed_by.email", read_only=True, allow_null=True
    )

    class Meta:
        model = ThresholdChange
        fields = [
            "id",
            "programme",
            "old",
            "new",
            "proposed_by",
            "proposed_at",
            "confirmed_by",
            "confirmed_at",
            "closed_at",
        ]
        read_only_fields = fields


class ThresholdProposalInput(StrictInput, serializers.Serializer):
    new = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        help_text="The new threshold in the programme's currency; null removes it.",
    )


def _managed(user, slug) -> Programme:
    return policy.get_or_404(Programme.objects, user, "manage", slug=slug)


class ThresholdChanges(APIView):
    """Changes of a programme's two-person approval threshold, newest first (its managers).
    POST proposes one: it takes effect once another manager confirms it. The person who last
    awarded pay in the programme may not propose or confirm any change to it (403, with why)."""

    @extend_schema(responses={200: ThresholdChangeSerializer(many=True)})
    def get(self, request, slug):
        programme = _managed(request.user, slug)
        rows = programme.threshold_changes.select_related("programme", "proposed_by")
        return Response(ThresholdChangeSerializer(rows[:100], many=True).data)

    @extend_schema(request=ThresholdProposalInput, responses={201: ThresholdChangeSerializer})
    def post(self, request, slug):
        programme = _managed(request.user, slug)
        data = ThresholdProposalInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = programme_services.threshold_propose(
            actor=request.user, programme=programme, new=data.validated_data["new"]
        )
        return Response(ThresholdChangeSerializer(change).data, status=201)


class ThresholdChangeConfirm(APIView):
    """Confirm a proposed threshold change (another manager of the programme than the one
    who proposed it; not the last awarder when it raises or removes the threshold)."""

    @extend_schema(request=None, responses={200: ThresholdChangeSerializer})
    def post(self, request, pk):
        managed = Programme.objects.restrict(request.user, "manage")
        change = get_object_or_404(ThresholdChange.objects.filter(programme__in=managed), pk=pk)
        programme_services.threshold_confirm(actor=request.user, change=change)
        change.refresh_from_db()
        return Response(ThresholdChangeSerializer(change).data)

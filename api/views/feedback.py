"""API: tickets (with their comments) and the labour log. Visibility is the pages'."""

import re

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from api.auth import CursorPage
from api.fields import BlankAsNullChoiceField, ModelSerializer, StrictInput
from api.idempotency import IDEMPOTENCY_HEADER, IdempotentCreateMixin
from core.dates import validate_in_range
from core.db import limit
from core.errors import DomainError
from core.text import single_line
from feedback import selectors, services
from feedback.filters import TICKET_SORTS, TicketFilter
from feedback.models import Severity, Ticket, TicketComment
from labour import services as labour_services
from labour.filters import TimeEntryFilter
from labour.models import TimeEntry
from programs import policy
from programs.models import Programme

SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


@extend_schema_field(
    {"type": "string", "pattern": f"^{SLUG.pattern}$", "minLength": 1, "maxLength": 60}
)
class VisibleProgrammeField(serializers.SlugRelatedField):
    """A programme given by its slug, among those the requester may see. A slug that names
    none of them is a 404, as the programme's own URL would be; a value that is not a slug
    at all is a 400."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "slug")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # Only a slug reaches the database (PostgreSQL refuses NUL bytes in text).
        if not isinstance(data, str) or not SLUG.fullmatch(data) or len(data) > 60:
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:100])
        try:
            return self.get_queryset().get(**{self.slug_field: data})
        except ObjectDoesNotExist:
            raise NotFound(f"No programme “{data}” that you may see.") from None

    def get_queryset(self):
        request = self.context.get("request")
        user = request.user if request else AnonymousUser()
        return Programme.objects.restrict(user)


# --- Tickets ------------------------------------------------------------------------------


class TicketSerializer(ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    reporter = serializers.EmailField(source="reporter.email", read_only=True)
    assignee = serializers.EmailField(source="assignee.email", read_only=True, allow_null=True)
    terms_version = serializers.IntegerField(
        source="terms_version.number", read_only=True, allow_null=True
    )
    # null, not "", for tickets without one: "" is no member of the severity enum.
    severity = BlankAsNullChoiceField(choices=Severity.choices, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "programme",
            "kind",
            "title",
            "description",
            "steps_to_reproduce",
            "expected_result",
            "actual_result",
            "severity",
            "status",
            "duplicate_of",
            "reporter",
            "assignee",
            "terms_version",
            "created_at",
            "updated_at",
            "accepted_at",
            "resolved_at",
        ]
        read_only_fields = fields


class TicketInput(StrictInput, serializers.Serializer):
    """What a reporter files. Status, assignee and reporter are not theirs to set."""

    programme = VisibleProgrammeField()
    kind = serializers.ChoiceField(choices=Ticket.Kind.choices)
    title = serializers.CharField(max_length=200, validators=[single_line])
    description = serializers.CharField(max_length=limit(Ticket, "description"))
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True)
    steps_to_reproduce = serializers.CharField(
        required=False, allow_blank=True, max_length=limit(Ticket, "steps_to_reproduce")
    )
    expected_result = serializers.CharField(
        required=False, allow_blank=True, max_length=limit(Ticket, "expected_result")
    )
    actual_result = serializers.CharField(
        required=False, allow_blank=True, max_length=limit(Ticket, "actual_result")
    )

    def create(self, validated_data):
        d = validated_data
        return services.ticket_file(
            actor=self.context["request"].user,
            programme=d["programme"],
            kind=d["kind"],
            title=d["title"],
            description=d["description"],
            severity=d.get("severity", ""),
            steps_to_reproduce=d.get("steps_to_reproduce", ""),
            expected_result=d.get("expected_result", ""),
            actual_result=d.get("actual_result", ""),
        )

    def to_representation(self, instance):
        return TicketSerializer(instance, context=self.context).data


class TicketApiFilter(TicketFilter):
    """The triage queue's FilterSet; through the API every status is listed unless asked."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        user = request.user if request is not None else AnonymousUser()
        programmes = Programme.objects.restrict(user, "review")
        staff = selectors.assignable_staff(programmes) if user.pk else []
        super().__init__(
            data, queryset=queryset, request=request, prefix=prefix, user=user, staff=staff
        )
        if data is not None:
            self.data = data


class TicketCursor(CursorPage):
    ordering = ("-created_at", "-pk")

    def get_ordering(self, request, queryset, view):
        sort = request.query_params.get("sort")
        if sort in TICKET_SORTS:
            key, descending, _ = TICKET_SORTS[sort]
            sign = "-" if descending else ""
            return (f"{sign}{key}", f"{sign}pk")
        return self.ordering


class TicketList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """Your tickets, and (for reviewers and managers) those of your programmes. POST files one."""

    serializer_class = TicketSerializer
    filterset_class = TicketApiFilter
    pagination_class = TicketCursor

    def get_queryset(self):
        return Ticket.objects.restrict(self.request.user).select_related(
            "programme", "reporter", "assignee", "terms_version"
        )

    @extend_schema(
        request=TicketInput, responses={201: TicketSerializer}, parameters=[IDEMPOTENCY_HEADER]
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def get_serializer_class(self):
        return TicketInput if self.request.method == "POST" else TicketSerializer


class TicketDetail(generics.RetrieveAPIView):
    serializer_class = TicketSerializer

    def get_queryset(self):
        return Ticket.objects.restrict(self.request.user).select_related(
            "programme", "reporter", "assignee", "terms_version"
        )


class CommentSerializer(ModelSerializer):
    author = serializers.EmailField(source="author.email", read_only=True)
    internal = serializers.SerializerMethodField()

    class Meta:
        model = TicketComment
        fields = ["id", "author", "body", "internal", "created_at"]
        read_only_fields = fields

    def get_internal(self, comment) -> bool:
        return not comment.visible_to_reporter


class CommentInput(StrictInput, serializers.Serializer):
    body = serializers.CharField(max_length=limit(TicketComment, "body"))
    internal = serializers.BooleanField(
        required=False, default=False, help_text="Staff only: a note the reporter does not see."
    )


class OldestFirst(CursorPage):
    ordering = ("created_at", "pk")


class TicketComments(generics.ListCreateAPIView):
    """The comments you may read on a ticket (the reporter: those meant for them). POST adds one."""

    serializer_class = CommentSerializer
    pagination_class = OldestFirst
    filter_backends = []

    def get_ticket(self) -> Ticket:
        return get_object_or_404(
            Ticket.objects.restrict(self.request.user).select_related("programme", "reporter"),
            pk=self.kwargs["pk"],
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketComment.objects.none()
        return selectors.comments_for(self.get_ticket(), self.request.user)

    @extend_schema(request=CommentInput, responses={201: CommentSerializer})
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        ticket = self.get_ticket()
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        internal = data.validated_data["internal"]
        if internal and not policy.can(request.user, "staff_comment", ticket):
            # The schema allows `internal`; the rules refuse it to this person (422).
            raise DomainError(
                "Only the programme's reviewers and managers write internal notes, "
                "and never on a ticket they reported.",
                field="internal",
            )
        comment = services.ticket_comment(
            author=request.user,
            ticket=ticket,
            body=data.validated_data["body"],
            visible_to_reporter=not internal,
        )
        return Response(CommentSerializer(comment).data, status=201)


# --- Hours --------------------------------------------------------------------------------


class TimeEntrySerializer(ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "programme",
            "user",
            "date",
            "minutes",
            "activity",
            "note",
            "ticket",
            "status",
            "dispute_reason",
            "created_at",
        ]
        read_only_fields = fields


class TimeEntryInput(StrictInput, serializers.Serializer):
    programme = VisibleProgrammeField()
    date = serializers.DateField(validators=[validate_in_range])
    minutes = serializers.IntegerField(min_value=1, max_value=TimeEntry.MAX_MINUTES_PER_DAY)
    activity = serializers.ChoiceField(choices=TimeEntry.Activity.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=limit(TimeEntry, "note")
    )
    ticket = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="One of your tickets."
    )

    def create(self, validated_data):
        d = validated_data
        user = self.context["request"].user
        ticket = None
        if d.get("ticket"):
            ticket = Ticket.objects.restrict(user).filter(pk=d["ticket"]).first()
            if ticket is None:
                raise serializers.ValidationError({"ticket": ["No such ticket."]})
        return labour_services.time_entry_log(
            actor=user,
            programme=d["programme"],
            date=d["date"],
            minutes=d["minutes"],
            activity=d["activity"],
            note=d["note"],
            ticket=ticket,
        )

    def to_representation(self, instance):
        return TimeEntrySerializer(instance, context=self.context).data


class TimeEntryApiFilter(TimeEntryFilter):
    """The hours queue's FilterSet; through the API every status is listed unless asked."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        user = request.user if request is not None else AnonymousUser()
        super().__init__(data, queryset=queryset, request=request, prefix=prefix, user=user)
        if data is not None:
            self.data = data


class TimeEntryList(IdempotentCreateMixin, generics.ListCreateAPIView):
    """Your time entries, and (for staff and finance) those of your programmes. POST logs one."""

    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryApiFilter
    pagination_class = CursorPage

    def get_queryset(self):
        return TimeEntry.objects.restrict(self.request.user).select_related("programme", "user")

    @extend_schema(
        request=TimeEntryInput,
        responses={201: TimeEntrySerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, *args, **kwargs):
        return self.create(request, *args, **kwargs)

    def get_serializer_class(self):
        return TimeEntryInput if self.request.method == "POST" else TimeEntrySerializer

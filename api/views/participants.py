"""API: consent to the current terms, and the access check."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import StrictInput
from api.views.programs import visible_programme
from participants import services
from programs import policy
from programs.models import TermsVersion


class ConsentInput(StrictInput, serializers.Serializer):
    terms_version = serializers.IntegerField(min_value=1)
    terms_hash = serializers.RegexField(
        r"^[0-9a-f]{64}$", help_text="The sha256 of the terms you were shown (64 hex digits)."
    )


ConsentOutput = inline_serializer(
    "Consent",
    {
        "terms_version": serializers.IntegerField(),
        "terms_hash": serializers.CharField(),
        "accepted_at": serializers.DateTimeField(),
    },
)

AccessOutput = inline_serializer(
    "AccessCheck",
    {
        "active": serializers.BooleanField(),
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "participation_status": serializers.CharField(allow_null=True),
        "terms_version": serializers.IntegerField(allow_null=True),
    },
)


class ConsentView(APIView):
    """Accept a version of the terms, giving the hash you were shown."""

    @extend_schema(request=ConsentInput, responses={201: ConsentOutput})
    def post(self, request, slug):
        programme = visible_programme(request, slug)
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        terms = (
            TermsVersion.objects.published()
            .filter(programme=programme, number=data.validated_data["terms_version"])
            .first()
        )
        if terms is None:
            raise NotFound(f"Version {data.validated_data['terms_version']} is not published.")
        consent = services.consent_accept(
            actor=request.user,
            programme=programme,
            terms=terms,
            seen_hash=data.validated_data["terms_hash"],
            ip=request.META.get("REMOTE_ADDR"),
        )
        return Response(
            {
                "terms_version": terms.number,
                "terms_hash": consent.terms_hash,
                "accepted_at": consent.accepted_at,
            },
            status=201,
        )


class AccessCheckView(APIView):
    """Is access active now for a person in this programme, and if not, why?

    Without `user` it answers for you. With `user` (an email or an id) it needs
    a manager or reviewer role in the programme: this is what the product under
    test calls before letting a tester in. An address without an account is answered
    like an account outside the programme (`not_a_participant`).
    """

    @extend_schema(
        parameters=[OpenApiParameter("user", {"type": "string", "maxLength": 254}, required=False)],
        responses={200: AccessOutput},
    )
    def get(self, request, slug):
        programme = visible_programme(request, slug)
        who = request.query_params.get("user", "").strip()
        if "\x00" in who or len(who) > 254:
            raise serializers.ValidationError({"user": ["An email address or an account id."]})
        person = request.user
        if who:
            if not policy.has_role(request.user, programme, "review"):
                raise PermissionDenied
            User = get_user_model()
            by_id = who.isascii() and who.isdigit() and len(who) < 19  # a 64-bit id
            lookup = {"pk": int(who)} if by_id else {"email__iexact": who}
            person = User.objects.filter(**lookup).first()
            if person is None:
                # The same answer as for an account outside the programme: a reviewer's
                # token must not tell which addresses have an account.
                return Response(services.not_a_participant().as_dict())
        return Response(services.access_check(person, programme).as_dict())

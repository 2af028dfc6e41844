"""API: the training check a model team's pipeline calls before training on files, and the
consent registry. Both accept a programme's service-account token (and nothing else does)."""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import ServiceTokenAuthentication, TokenAuthentication
from api.models import ServiceToken
from core.errors import DomainError, NotAllowed
from programs import policy
from programs.models import Programme
from programs.policy import StaffMFARequired
from provenance import selectors, services
from provenance.permissions import PURPOSES
from provenance.views import parse_since, registry_response

HASH = re.compile(r"[0-9a-f]{64}")
# Service tokens first: a `tts_…` bearer is theirs, a personal `tt_…` one falls through.
WITH_SERVICE_TOKENS = [ServiceTokenAuthentication, TokenAuthentication, SessionAuthentication]


class ServiceTokenOrPerson(permissions.BasePermission):
    """A service-account token, or a signed-in person (with two-factor where staff need it);
    which programme each may read is the view's question."""

    message = StaffMFARequired().message

    def has_permission(self, request, view):
        if isinstance(request.auth, ServiceToken):
            return True
        return bool(request.user and request.user.is_authenticated) and not (
            policy.needs_two_factor(request.user)
        )


def _programme_for(request, slug, *, public: bool) -> Programme:
    """The programme of the URL, for a service token of that programme only."""
    token = request.auth
    if isinstance(token, ServiceToken):
        if token.programme.slug != slug:
            raise NotAllowed("This service-account token is for another programme.")
        return token.programme
    visible = Programme.objects.restrict(request.user)
    programme = visible.filter(slug=slug).first()
    if programme is None:
        raise exceptions.NotFound("No such programme.")
    if not public:
        policy.require(request.user, "staff", programme)
    return programme


class TrainingCheckInput(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=list(PURPOSES), help_text="The CAWG use the files are wanted for."
    )
    hashes = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-f]{64}$"),
        min_length=1,
        max_length=selectors.MAX_BATCH,
        help_text="SHA-256 of each file (lowercase hex), 1 to 10,000: the file as delivered "
        "or a signed copy.",
    )


class ConsentBasisSerializer(serializers.Serializer):
    basis = serializers.ChoiceField(
        choices=["terms", "choice", "default_choice", "no_choice", "no_consent"]
    )
    terms_version = serializers.IntegerField(allow_null=True)
    terms_sha256 = serializers.CharField(allow_null=True)
    consented_at = serializers.DateTimeField(allow_null=True)
    choice_at = serializers.DateTimeField(allow_null=True)


class CheckAnswerSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    answer = serializers.ChoiceField(choices=["allowed", "not_allowed", "unknown"])
    use = serializers.ChoiceField(
        choices=["allowed", "notAllowed", "constrained"],
        allow_null=True,
        help_text="The CAWG use recorded for the public (constrained: allowed to the "
        "programme's organiser only).",
    )
    since = serializers.DateTimeField(required=False, help_text="When this answer took effect.")
    entry = serializers.UUIDField(required=False, help_text="The consent registry's entry.")
    consent = ConsentBasisSerializer(allow_null=True, help_text="What the answer rests on.")


class TrainingCheckResultSerializer(serializers.Serializer):
    programme = serializers.CharField()
    purpose = serializers.CharField()
    checked = serializers.IntegerField()
    allowed = serializers.IntegerField()
    not_allowed = serializers.IntegerField()
    unknown = serializers.IntegerField()
    results = CheckAnswerSerializer(many=True)


def _validated(data) -> tuple[str, list[str]]:
    """The purpose and the hashes, checked by hand: DRF's field-per-item validation of 10,000
    hashes costs more than the lookup. The same errors, in the same shape."""
    if not isinstance(data, dict):
        raise serializers.ValidationError({"hashes": ["Send a JSON object."]})
    purpose, hashes = data.get("purpose"), data.get("hashes")
    errors = {}
    if not isinstance(purpose, str) or purpose not in PURPOSES:
        errors["purpose"] = [f"One of: {', '.join(PURPOSES)}."]
    if not isinstance(hashes, list) or not hashes:
        errors["hashes"] = ["A list of 1 to 10,000 SHA-256 hashes."]
    elif len(hashes) > selectors.MAX_BATCH:
        errors["hashes"] = [f"At most {selectors.MAX_BATCH:,} hashes a call; send batches."]
    else:
        bad = [h for h in hashes if not isinstance(h, str) or not HASH.fullmatch(h)]
        if bad:
            errors["hashes"] = [
                f"{len(bad)} item(s) are not a SHA-256 in lowercase hex, e.g. {str(bad[0])[:70]!r}."
            ]
    if errors:
        raise serializers.ValidationError(errors)
    return purpose, hashes


class TrainingCheck(APIView):
    """Before training on files, ask whether each may be used (up to 10,000 SHA-256 a call):
    allowed or not allowed for this programme's organiser, with the consent it rests on, or
    unknown (not an approved output of this programme: do not train on it). Every call is
    counted on the programme's public page. A service-account token of the programme, or a
    member of its staff."""

    authentication_classes = WITH_SERVICE_TOKENS
    permission_classes = [ServiceTokenOrPerson]

    @extend_schema(
        request=TrainingCheckInput,
        responses={200: TrainingCheckResultSerializer},
    )
    def post(self, request, slug):
        programme = _programme_for(request, slug, public=False)
        purpose, hashes = _validated(request.data)
        results = selectors.check(programme, hashes, purpose)
        answers = {"allowed": 0, "not_allowed": 0, "unknown": 0}
        for row in results:
            answers[row["answer"]] += 1
        services.training_check_count(programme=programme, answers=answers)
        return Response(
            {
                "programme": programme.slug,
                "purpose": purpose,
                "checked": len(results),
                **answers,
                "results": results,
            }
        )


class ConsentRegistry(APIView):
    """The programme's consent registry: every approved output by SHA-256 with its content
    credential, its permission per CAWG purpose and the consent it rests on, its revocations;
    signed as a C2SP signed note with the audit signing key (schema:
    /schemas/consent-registry-v1.schema.json). Send `If-None-Match` with the ETag you hold
    (304 when unchanged) and `since` (the `as_of` you hold) to read only what changed."""

    authentication_classes = WITH_SERVICE_TOKENS
    permission_classes = [permissions.AllowAny]  # public, like the programme's page

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                description="Only entries changed after this time (the `as_of` you hold).",
            )
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="The signed registry."),
            304: OpenApiResponse(description="Unchanged since the ETag you sent."),
        },
    )
    def get(self, request, slug):
        programme = _programme_for(request, slug, public=True)
        raw = request.query_params.get("since")
        if raw is not None and not raw.strip():
            # The schema says date-time: an empty value is an error here, not "from the start".
            raise serializers.ValidationError(
                {"since": ["Leave `since` out to read everything, or give an ISO 8601 time."]}
            )
        try:
            since = parse_since(raw)
        except DomainError as exc:
            raise serializers.ValidationError({"since": [exc.message]}) from exc
        return registry_response(request, programme, since)

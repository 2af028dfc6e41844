"""Serializer fields whose values match what the schema says they are."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice column that may be empty: `null` in the API, never `""` (not in the enum)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class BlankAsNullURLField(serializers.CharField):
    """A URL column that may be empty: `null` in the API, never `""` (not a URI)."""

    def to_representation(self, value):
        return value or None

"""Serializer fields whose values match what the schema says they are."""

from django.http import QueryDict
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


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializers: a choice column that may be empty (`stipend_period`,
    `on_missed_deadline`, a ticket's `severity`) is `null` when empty, never `""`, which is
    not one of its values."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if "choices" in kwargs and model_field.blank:
            kwargs.pop("allow_blank", None)
            return BlankAsNullChoiceField, kwargs
        return field_class, kwargs


def _wrong_type(field, value) -> str | None:
    """Why `value`, as parsed from JSON, is not of the type the schema gives `field`."""
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, (serializers.IntegerField, serializers.PrimaryKeyRelatedField)):
        whole = isinstance(value, int) and not isinstance(value, bool)
        return None if whole else "Must be a whole number."
    if isinstance(field, (serializers.ListField, serializers.ManyRelatedField)):
        return None if isinstance(value, list) else "Must be a list."
    if isinstance(field, serializers.FileField):
        return None
    if isinstance(
        field,
        (
            serializers.CharField,
            serializers.ChoiceField,
            serializers.DecimalField,
            serializers.DateField,
            serializers.DateTimeField,
            serializers.RelatedField,
        ),
    ):
        return None if isinstance(value, str) else "Must be a string."
    return None


class StrictInput:
    """For the API's input serializers: a JSON body's values have the types the schema
    states. DRF would take 0 for the text "0" and for false; a client that sends a number
    where the schema says text has a bug it should hear about (400), not a silent guess."""

    def to_internal_value(self, data):
        # A form or multipart body arrives as a QueryDict of strings; a JSON one as a dict.
        if isinstance(data, dict) and not isinstance(data, QueryDict):
            errors = {
                name: [problem]
                for name, field in self.fields.items()
                if not field.read_only
                and data.get(name) is not None
                and (problem := _wrong_type(field, data[name]))
            }
            if errors:
                # Report the other fields' problems too, as a body of the right types would.
                rest = {k: v for k, v in data.items() if k not in errors}
                try:
                    super().to_internal_value(rest)
                except serializers.ValidationError as exc:
                    for name, problems in exc.detail.items():
                        errors.setdefault(name, problems)
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

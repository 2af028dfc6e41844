"""Database helpers shared by the apps.

Append-only records (audit events, consents, decisions, ledger entries) are
protected twice: the model refuses update and delete in Python
(`AppendOnlyModel`), and on PostgreSQL a trigger refuses UPDATE and DELETE from
any client, raw SQL included. TRUNCATE is left to the table owner (test flushes
and disaster recovery); the application role should not own the tables in a
hardened deployment.
"""

from django.core.validators import MaxLengthValidator
from django.db import migrations, models

from .errors import DomainError

_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION tt_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_NARGS > 0 AND TG_OP = 'UPDATE' THEN
        -- Columns named in the trigger arguments may change (workflow state);
        -- everything else in the row must stay as written.
        IF (to_jsonb(NEW) - TG_ARGV::text[])
           IS NOT DISTINCT FROM (to_jsonb(OLD) - TG_ARGV::text[]) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_trigger(table: str, *, mutable_columns: tuple[str, ...] = ()):
    """A migration operation that installs the append-only trigger on PostgreSQL."""
    args = ", ".join(f"'{c}'" for c in mutable_columns)

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(_FUNCTION_SQL, params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION tt_refuse_change({args})"
        )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")

    return migrations.RunPython(forwards, backwards, elidable=False)


def postgres_index(name: str, definition: str):
    """A migration operation that creates a PostgreSQL-only index (covering or partial).

    `definition` is what follows `ON`: the table, the key columns, and any `INCLUDE` or
    `WHERE`. Other databases get nothing: these indexes serve the transparency figures
    at scale, which SQLite never reaches.
    """

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(forwards, backwards, elidable=False)


class AppendOnlyError(DomainError):
    def __init__(self, model_name: str):
        super().__init__(
            f"{model_name} records are never edited or deleted; record a correction instead.",
            code="append_only",
        )


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(self.model._meta.verbose_name)

    def delete(self):
        raise AppendOnlyError(self.model._meta.verbose_name)


class AppendOnlyModel(models.Model):
    """A record that is written once. Corrections are new records."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(self._meta.verbose_name)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(self._meta.verbose_name)


def copy_out(cursor, sql: str, params=None, *, chunk: int = 256 * 1024):
    """The output of `COPY … TO STDOUT` as chunks of about `chunk` bytes.

    psycopg's `for row in copy` runs a generator round trip for every row, which
    costs a million-line export about as much CPU as PostgreSQL spends writing it.
    Here the rows that libpq already holds are taken straight from it with psycopg's
    own libpq binding (`get_copy_data` without blocking); psycopg's `Copy.read()`
    runs only when libpq must wait for the network. At the end the closing result is
    read the way psycopg reads it, and an error the server sent mid-copy is raised.
    """
    import psycopg
    from psycopg import pq

    # Django's wrapper turns psycopg's errors into django.db's, as for any query.
    with cursor.db.wrap_database_errors, cursor.copy(sql, params) as copy:
        pgconn = copy.connection.pgconn
        buffer = bytearray()
        while True:
            nbytes, data = pgconn.get_copy_data(1)
            if nbytes == 0:  # nothing buffered: psycopg waits for the network
                data = copy.read()
                if not data:  # psycopg met the end and read the closing result
                    break
            elif nbytes < 0:  # the end: read every result, then raise the server's error
                results = []
                while (result := pgconn.get_result()) is not None:
                    results.append(result)
                for result in results:
                    if result.status != pq.ExecStatus.COMMAND_OK:
                        raise psycopg.errors.error_from_result(result)
                break
            buffer += data
            if len(buffer) >= chunk:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)


def bounded_text(max_length: int, **kwargs) -> models.TextField:
    """A free-text column with a length limit (Django's TextField keeps `max_length` for forms
    only; the validator makes `full_clean` and DRF's model serializers enforce it too).
    Forms and API inputs read the same number with `limit(Model, "field")`."""
    return models.TextField(
        max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs
    )


def limit(model, field: str) -> int:
    """The length limit of a model's text field, for the form and API fields that feed it."""
    return model._meta.get_field(field).max_length

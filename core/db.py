"""Database helpers shared by the apps.

Append-only records (audit events, consents, decisions, ledger entries) are
protected twice: the model refuses update and delete in Python
(`AppendOnlyModel`), and on PostgreSQL a trigger refuses UPDATE and DELETE from
any client, raw SQL included. TRUNCATE is left to the table owner (test flushes
and disaster recovery); the application role should not own the tables in a
hardened deployment.
"""

import json
from collections.abc import Callable
from typing import TypeVar

import psycopg
from django.core.validators import MaxLengthValidator
from django.db import DEFAULT_DB_ALIAS, connection, connections, migrations, models
from django.utils import timezone
from psycopg import pq

from .errors import DomainError

T = TypeVar("T")


# --- Which engine -------------------------------------------------------------------------
#
# The apps never ask which database engine they run on: a PostgreSQL fast path is a function
# beside its plain path, and `fast_path` runs the one that fits (each pair has a test that
# both give the same result). Engine-specific SQL helpers live here and in `core.search`.


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the connection `using` is PostgreSQL (the production engine; SQLite is the
    embedded run and the fast tests)."""
    return connections[using].vendor == "postgresql"


def fast_path(using: str, *, postgresql: Callable[[], T], plain: Callable[[], T]) -> T:
    """The result of `postgresql()` on PostgreSQL, of `plain()` elsewhere: two ways to the same
    result, the first faster where it can run."""
    return postgresql() if is_postgresql(using) else plain()


def set_local_work_mem(size: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Let the sorts of the current transaction use `size` of memory (`"64MB"`) before they
    spill to disk: PostgreSQL's `work_mem`, until the transaction ends. Other engines have no
    such setting; nothing is done there."""
    if not is_postgresql(using):
        return
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, true)", [size])


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


def append_only_trigger_comparing_columns(table: str, *, mutable_columns: tuple[str, ...]):
    """A migration operation like `append_only_trigger`, for a table whose mutable columns a
    job sets on many rows at once: the trigger's WHEN clause compares every other column of
    the table (as it stands when the migration runs), so an UPDATE of the mutable columns
    alone calls no function at all, and any other UPDATE, or a DELETE, is refused as before.
    A column added to the table later must be added by installing the trigger again (the
    audit tests hold the trigger against the table's columns)."""

    def forwards(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            described = connection.introspection.get_table_description(cursor, table)
        kept = [c.name for c in described if c.name not in mutable_columns]
        old = ", ".join(f'OLD."{c}"' for c in kept)
        new = ", ".join(f'NEW."{c}"' for c in kept)
        schema_editor.execute(_FUNCTION_SQL, params=None)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_delete ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) EXECUTE FUNCTION tt_refuse_change()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tt_refuse_change()"
        )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_delete ON {table}")
        append_only_trigger(table, mutable_columns=mutable_columns).code(apps, schema_editor)

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


# --- Set-based writes for the scheduled work -------------------------------------------------
#
# A sweep that deems a hundred thousand items approved, or an accrual over a million hours,
# writes its rows a chunk at a time instead of one model save each (issue 22). On
# PostgreSQL a chunk is one statement whose values travel as one JSON parameter
# (`json_populate_recordset`); elsewhere (SQLite: the embedded run and the fast tests)
# Django's bulk methods do the same work.

BULK_CHUNK = 5000


def _column(model, name: str):
    return model._meta.get_field(name)


def _as_json(columns: list[str], rows: list[tuple]) -> str:
    """A chunk as one JSON text of objects keyed by column, which PostgreSQL reads into rows
    of the table's own types (`json_populate_recordset`): one parameter, encoded by the
    C encoder, where a parameter per column would be escaped value by value. Times, dates
    and decimals go as their text (`str`), which PostgreSQL reads back exactly."""
    return json.dumps([dict(zip(columns, row, strict=True)) for row in rows], default=str)


def insert_rows(model, fields: list[str], rows: list[tuple], *, skip_existing: str = ""):
    """Insert `rows` (tuples of `fields`' values, `<fk>_id` values for relations) and return
    the new primary keys in row order.

    With `skip_existing` (a unique field in `fields`) a row whose value is already in the
    table is skipped and its place in the result is None: `ON CONFLICT DO NOTHING` on
    PostgreSQL, so a concurrent writer of the same key is skipped too; elsewhere the
    existing values are looked up first (SQLite serialises writers).
    """

    out: list = []
    given = {_column(model, f).attname for f in fields}
    # Columns not given get what a model save would give them (raw SQL skips Python defaults).
    rest = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in given]
    if rest and connection.vendor == "postgresql":
        now = timezone.now()

        def default(f):
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                return now
            return f.get_default()

        fields = [*fields, *(f.attname for f in rest)]
        if any(f.has_default() and callable(f.default) for f in rest):  # a token: one per row
            rows = [(*row, *(default(f) for f in rest)) for row in rows]
        else:
            same = tuple(default(f) for f in rest)
            rows = [row + same for row in rows]
    names = [_column(model, f).column for f in fields]
    key_at = fields.index(skip_existing) if skip_existing else None
    table = model._meta.db_table
    pk = model._meta.pk.column
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        if connection.vendor == "postgresql":
            cols = ", ".join(names)
            sql = (
                f"INSERT INTO {table} ({cols}) SELECT {cols} "
                f"FROM json_populate_recordset(NULL::{table}, %s::json)"
            )
            if key_at is not None:
                sql += f" ON CONFLICT ({names[key_at]}) DO NOTHING RETURNING {pk}, {names[key_at]}"
            else:
                sql += f" RETURNING {pk}"
            with connection.cursor() as cursor:
                cursor.execute(sql, [_as_json(names, chunk)])
                returned = cursor.fetchall()
            if key_at is None:
                out.extend(r[0] for r in returned)
            else:
                new = {key: pk_ for pk_, key in returned}
                out.extend(new.get(row[key_at]) for row in chunk)
            continue
        if key_at is not None:
            taken = set(
                model._base_manager.filter(
                    **{f"{skip_existing}__in": [row[key_at] for row in chunk]}
                ).values_list(skip_existing, flat=True)
            )
        else:
            taken = set()
        objs = [
            model(**{_column(model, f).attname: v for f, v in zip(fields, row, strict=True)})
            for row in chunk
            if key_at is None or row[key_at] not in taken
        ]
        model._base_manager.bulk_create(objs)
        made = iter(o.pk for o in objs)
        out.extend(
            None if key_at is not None and row[key_at] in taken else next(made) for row in chunk
        )
    return out


def update_rows(model, fields: list[str], rows: list[tuple], **same) -> int:
    """Set per-row values (`rows`: tuples of the primary key, then `fields`' values) and the
    values in `same` (one for every row) in one statement per chunk; the rows changed."""

    table = model._meta.db_table
    pk = model._meta.pk
    changed = 0
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        if connection.vendor == "postgresql":
            names = [_column(model, f).column for f in fields]
            sets = [f"{n} = v.{n}" for n in names]
            params: list = []
            for name, value in same.items():
                sets.append(f"{_column(model, name).column} = %s")
                params.append(value)
            sql = (
                f"UPDATE {table} SET {', '.join(sets)} FROM json_populate_recordset("
                f"NULL::{table}, %s::json) AS v WHERE {table}.{pk.column} = v.{pk.column}"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, _as_json([pk.column, *names], chunk)])
                changed += cursor.rowcount
            continue
        objs = []
        for row in chunk:
            obj = model(pk=row[0])
            for f, v in zip(fields, row[1:], strict=True):
                setattr(obj, _column(model, f).attname, v)
            for name, value in same.items():
                setattr(obj, _column(model, name).attname, value)
            objs.append(obj)
        changed += model._base_manager.bulk_update(objs, [*fields, *same], batch_size=500)
    return changed

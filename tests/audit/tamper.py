"""What a person with write access to the database (and no key) can do: raw SQL with the
append-only trigger set aside."""

from django.db import connection


def sql(statement, params=()):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")

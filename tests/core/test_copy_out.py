"""core.db.copy_out: COPY … TO STDOUT read fast, with errors raised and the connection left usable."""

import pytest
from django.db import DataError, connection

from core.db import copy_out

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

LINES = "COPY (SELECT i, repeat('x', mod(i, 50)) FROM generate_series(1, %s) i) TO STDOUT"


def _still_usable():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        return cursor.fetchone()[0] == 42


def test_every_line_arrives_in_order_in_chunks_of_about_the_size_asked():
    with connection.cursor() as cursor:
        chunks = list(copy_out(cursor, LINES, [50_000], chunk=64 * 1024))
    lines = b"".join(chunks).decode().splitlines()
    assert [int(line.split("\t")[0]) for line in lines] == list(range(1, 50_001))
    assert len(chunks) > 5 and all(len(c) >= 64 * 1024 for c in chunks[:-1])
    assert _still_usable()


@pytest.mark.django_db(transaction=True)  # autocommit, as a streamed export runs
def test_an_error_the_server_sends_mid_copy_is_raised():
    sql = "COPY (SELECT 1 / (i - 40000) FROM generate_series(1, 50000) i) TO STDOUT"
    received = []
    with pytest.raises(DataError, match="division by zero"), connection.cursor() as cursor:
        for chunk in copy_out(cursor, sql, chunk=1024):
            received.append(chunk)
    assert received  # rows before the error did arrive
    assert _still_usable()


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_stops_early_leaves_the_connection_usable():
    with connection.cursor() as cursor:
        stream = copy_out(cursor, LINES, [200_000], chunk=1024)
        next(stream)
        stream.close()  # the HTTP client went away
    assert _still_usable()

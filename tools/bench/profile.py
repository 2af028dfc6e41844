"""`python -m tools.bench.profile PAGE [-n 50]`: where one page's time goes, on the bench data.

Run after `make bench` (its database `tt_bench`, or BENCH_DB):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tt_bench DJANGO_ENV=development \\
        .venv/bin/python -m tools.bench.profile queue -n 100

PAGE is one of the benchmark's pages (session, queue, queue-deep, portal, admin) or a path.
The page is requested `-n` times in this process through Django's test client as the
benchmark's person (reviewer for staff pages, the participant with 10,000 records for the
portal), after 5 warm-up requests, under pyinstrument; the call tree is printed. `--sql`
prints EXPLAIN (ANALYZE, BUFFERS) of every query of one request instead.
"""

import argparse
import os
import sys

import django
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pyinstrument import Profiler

from programs.models import Programme


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    django.setup()

    parser = argparse.ArgumentParser(prog="python -m tools.bench.profile")
    parser.add_argument("page")
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--depth", type=int, default=40, help="lines of the call tree")
    opts = parser.parse_args()

    User = get_user_model()
    largest = Programme.objects.filter(slug__startswith="bench-").order_by("slug").first()
    if largest is None:
        sys.exit("No bench data here: run `make bench` first and point DATABASE_URL at it.")
    queue = f"/review/?status=pending&programme={largest.pk}"
    pages = {
        "session": ("bench-reviewer", "/session/"),
        "session-participant": (None, "/session/"),
        "queue": ("bench-reviewer", queue),
        "portal": (None, "/portal/"),
        "admin": (
            "bench-admin",
            f"/admin/approvals/outputsubmission/?programme__id__exact={largest.pk}"
            "&status__exact=pending",
        ),
    }
    who, url = pages.get(opts.page, ("bench-reviewer", opts.page))
    user = User.objects.get(username=who) if who else User.objects.get(pk=1_000_000)
    client = Client()
    client.force_login(user)
    for _ in range(5):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
    if opts.sql:
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        with connection.cursor() as cursor:
            for q in ctx.captured_queries:
                print(f"-- {q['time']} s: {q['sql'][:300]}")
                if q["sql"].lstrip().upper().startswith("SELECT"):
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
                    print("\n".join(r[0] for r in cursor.fetchall()))
                print()
        return

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(opts.n):
        client.get(url)
    profiler.stop()
    print(f"{opts.n} × GET {url} as {user.username}")
    print(profiler.output_text(unicode=True, color=False, show_all=False)[: opts.depth * 200])


if __name__ == "__main__":
    main()

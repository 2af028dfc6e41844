"""The benchmark's page timings (in-process, with their query counts) and the check that
the public figures equal a plain recount."""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, reset_queries
from django.test import Client

from approvals.selectors import review_queue
from core.pagination import _encode
from transparency import figures as transparency

from .table import Table, pct, summary, timed_requests


class MeasurePages:
    """Mixin of the bench command: `measure_pages()` and `check_transparency()`."""

    def measure_pages(self, table: Table):
        """The signed-in trivial view (the floor), the review queue, the admin changelist and
        the portal, all requested in turn in one loop (so a burst of load elsewhere on the
        machine hits each alike), each as the person who uses it."""

        pk = self.largest.pk
        reviewer, admin, person = Client(), Client(), Client()
        reviewer.force_login(self.reviewer)
        admin.force_login(self.superuser)
        person.force_login(get_user_model().objects.get(pk=self.person_id))
        url = f"/review/?status=pending&programme={pk}"
        admin_url = (
            f"/admin/approvals/outputsubmission/?programme__id__exact={pk}&status__exact=pending"
        )
        pending = (
            review_queue(self.reviewer)
            .filter(programme=self.largest, status="pending")
            .order_by("clock_at", "pk")
        )
        # The cursor the UI would carry to item 10,000 (or the last page at small scales).
        n_pending = pending.count()
        depth = min(10_000, max(0, n_pending - 60))
        item = pending[depth - 1] if depth else None
        deep_url = url + (f"&after={_encode(item.clock_at.isoformat(), item.pk)}" if item else "")
        admin_deep = admin_url + f"&p={depth // 100 + 1}"
        self.queue_url = url
        pages = {
            "floor_staff": (reviewer, "/session/"),
            "queue": (reviewer, url),
            "queue_deep": (reviewer, deep_url),
            "admin": (admin, admin_url),
            "admin_deep": (admin, admin_deep),
            "floor_participant": (person, "/session/"),
            "portal": (person, "/portal/"),
        }
        results = {name: {"p50_ms": [], "p95_ms": []} for name in pages}
        queries = {}
        for name, (client, u) in pages.items():
            queries[name] = timed_requests(client, u, 3)[1]  # warm, and count queries once
        for _ in range(self.runs):
            times = {name: [] for name in pages}
            for _ in range(self.n):
                for name, (client, u) in pages.items():
                    start = time.perf_counter()
                    client.get(u)
                    times[name].append((time.perf_counter() - start) * 1000)
            for name, values in times.items():
                results[name]["p50_ms"].append(pct(values, 0.5))
                results[name]["p95_ms"].append(pct(values, 0.95))
        r = {
            name: {
                "p50_ms": summary(v["p50_ms"]),
                "p95_ms": summary(v["p95_ms"]),
                "queries": queries[name],
            }
            for name, v in results.items()
        }

        def p50(name):
            return r[name]["p50_ms"]["median"]

        def cell(name):
            x = r[name]
            return (
                f"p50 {x['p50_ms']['median']:.1f} ms ({x['p50_ms']['min']:.1f}–"
                f"{x['p50_ms']['max']:.1f}), p95 {x['p95_ms']['median']:.1f} ms; "
                f"{x['queries']} queries"
            )

        table.add(
            "signed-in trivial view (`/session/`: the same middleware, session, user, roles, "
            "two-factor check; a few bytes), server time: as the reviewer / as the participant",
            f"{cell('floor_staff')} / {cell('floor_participant')}",
            target="measured: the floor of the rows below",
            raw={"staff": r["floor_staff"], "participant": r["floor_participant"]},
        )
        for name, admin_name, label, admin_target in (
            ("queue", "admin", f"first page (pending, largest programme: {n_pending:,} items)", 15),
            ("queue_deep", "admin_deep", f"{depth:,} items deep (keyset cursor)", 25),
        ):
            floor, vs_admin = p50(name) / p50("floor_staff"), p50(admin_name) / p50(name)
            table.add(
                f"review queue, {label}: server time, queries",
                cell(name),
                peer=f"Django admin changelist, same filter: {cell(admin_name)}",
                ratio=f"{floor:.1f}× the trivial view; {vs_admin:.1f}× faster than admin (p50)",
                target=f"p50 ≤ 5× the trivial view; ≥ {admin_target}× faster than admin",
                ok=floor <= 5 and vs_admin >= admin_target,
                raw={name: r[name], admin_name: r[admin_name]},
            )
        ratio = p50("portal") / p50("floor_participant")
        table.add(
            "participant portal home (a participant with 10,000 records): server time, queries",
            cell("portal"),
            peer=f"trivial view as the participant: p50 {p50('floor_participant'):.1f} ms",
            ratio=f"{ratio:.1f}× the trivial view",
            target="p50 ≤ 4× the trivial view, ≤ 13 queries",
            ok=ratio <= 4 and r["portal"]["queries"] <= 13,
            raw={"portal": r["portal"]},
        )
        reset_queries()

    def check_transparency(self, table: Table) -> int:
        """The largest programme's public figures against a direct SQL computation."""

        figures = transparency.refresh(self.largest).figures
        pk = self.largest.pk

        def sql(query, params=()):
            with connection.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall()

        expected, actual = {}, {}
        for status, n in sql(
            "SELECT status, count(*) FROM participants_participation WHERE programme_id = %s "
            "GROUP BY status",
            [pk],
        ):
            expected[f"participants.{status}"] = n
        for key in ("active", "paused", "withdrawn", "removed"):
            expected.setdefault(f"participants.{key}", 0)
            actual[f"participants.{key}"] = figures["participants"][key]
        ((minutes,),) = sql(
            "SELECT coalesce(sum(minutes), 0) FROM feedback_timeentry "
            "WHERE programme_id = %s AND status = 'confirmed'",
            [pk],
        )
        expected["labour.confirmed_hours_total"] = round(minutes / 60, 1)
        actual["labour.confirmed_hours_total"] = figures["labour"]["confirmed_hours_total"]
        ((submitted, waiting),) = sql(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('pending', 'in_review', "
            "'appealed')) FROM approvals_outputsubmission WHERE programme_id = %s",
            [pk],
        )
        expected["approvals.submitted"], expected["approvals.waiting"] = submitted, waiting
        for outcome, n in sql(
            "SELECT d.outcome, count(*) FROM approvals_reviewdecision d "
            "JOIN approvals_outputsubmission s ON s.id = d.submission_id "
            "WHERE s.programme_id = %s GROUP BY d.outcome",
            [pk],
        ):
            expected[f"approvals.{outcome}"] = n
        for key in (
            "submitted",
            "waiting",
            "approved",
            "deemed_approved",
            "rejected",
            "changes_requested",
        ):
            expected.setdefault(f"approvals.{key}", 0)
            actual[f"approvals.{key}"] = figures["approvals"][key]
        for kind, n in sql(
            "SELECT kind, count(*) FROM feedback_ticket WHERE programme_id = %s GROUP BY kind",
            [pk],
        ):
            expected[f"tickets.by_kind.{kind}"] = n
        for kind, n in figures["tickets"]["by_kind"].items():
            expected.setdefault(f"tickets.by_kind.{kind}", 0)
            actual[f"tickets.by_kind.{kind}"] = n
        for currency, paid, pending in sql(
            "SELECT currency, coalesce(sum(amount) FILTER (WHERE state = 'paid'), 0), "
            "coalesce(sum(amount) FILTER (WHERE state <> 'paid'), 0) "
            "FROM compensation_ledgerentry WHERE programme_id = %s GROUP BY currency",
            [pk],
        ):
            expected[f"pay.{currency}.paid"] = f"{paid:.2f}"
            expected[f"pay.{currency}.pending"] = f"{pending:.2f}"
        for currency, totals in figures["pay"]["by_currency"].items():
            actual[f"pay.{currency}.paid"] = totals["paid"]
            actual[f"pay.{currency}.pending"] = totals["pending"]
        keys = sorted(set(expected) | set(actual))
        differ = [
            (k, expected.get(k), actual.get(k)) for k in keys if expected.get(k) != actual.get(k)
        ]
        self.stdout.write(
            f"transparency figures match a direct computation: {len(keys)} figures checked, "
            f"{len(differ)} differ"
        )
        if differ:
            raise CommandError(f"transparency figures differ from SQL: {differ}")
        return len(keys)

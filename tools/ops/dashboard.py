"""The Grafana dashboard of monitoring/grafana/, and a page drawing its panels from Prometheus.

`python -m tools.ops.dashboard write` writes monitoring/grafana/terms-and-testers.json from
PANELS (one list: the dashboard and the page show the same queries). `render(prometheus)`
draws every panel over the last minutes as a plain HTML page of SVG charts, for a screenshot
where no Grafana runs (docs/operations/dashboard.png, taken in the production-like run).
"""

import html
import json
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "monitoring" / "grafana" / "terms-and-testers.json"

# (title, unit, [(legend, PromQL)])
PANELS = [
    (
        "Requests per second by view",
        "reqps",
        [
            (
                "{{view}}",
                "sum by (view) "
                "(rate(django_http_requests_latency_seconds_by_view_method_count[1m]))",
            )
        ],
    ),
    (
        "Latency p95 by view",
        "s",
        [
            (
                "{{view}}",
                "histogram_quantile(0.95, sum by (view, le) "
                "(rate(django_http_requests_latency_seconds_by_view_method_bucket[5m])))",
            )
        ],
    ),
    (
        "Server errors (share of answers)",
        "percentunit",
        [
            (
                "5xx",
                'sum(rate(django_http_responses_total_by_status_total{status=~"5.."}[5m])) '
                "/ sum(rate(django_http_responses_total_by_status_total[5m]))",
            )
        ],
    ),
    ("Workers and beats up", "short", [("{{job}} {{instance}}", 'up{job=~"tt-worker|tt-beat"}')]),
    ("Celery queue depth", "short", [("{{queue}}", "max by (queue) (tt_celery_queue_depth)")]),
    (
        "Outbox: waiting and oldest age",
        "s",
        [
            ("oldest (s)", "max(tt_outbox_oldest_pending_age_seconds)"),
            ("waiting", "max(tt_outbox_pending)"),
        ],
    ),
    (
        "Beat: seconds since its last tick",
        "s",
        [
            ("since tick", "time() - max(tt_beat_last_tick_timestamp_seconds)"),
            ("stale after", "max(tt_beat_stale_after_seconds)"),
        ],
    ),
    (
        "Periodic tasks: seconds since last success",
        "s",
        [("{{task}}", "time() - max by (task) (tt_periodic_last_success_timestamp_seconds)")],
    ),
    (
        "Review items overdue per programme",
        "short",
        [("{{programme}}", "max by (programme) (tt_review_items_overdue)")],
    ),
    ("Payout lines by state", "short", [("{{state}}", "max by (state) (tt_payout_lines)")]),
    (
        "Audit log: checkpoint age and sequencer lag",
        "s",
        [
            ("checkpoint age", "max(tt_audit_checkpoint_age_seconds)"),
            ("sequencer lag", "max(tt_audit_sequencer_lag_seconds)"),
        ],
    ),
    (
        "Webhook deliveries by outcome (per minute)",
        "short",
        [("{{outcome}}", "sum by (outcome) (rate(tt_webhook_deliveries_total[5m])) * 60")],
    ),
    (
        "Log-ins, two-factor failures, rate-limit refusals (per minute)",
        "short",
        [
            ("log-ins {{outcome}}", "sum by (outcome) (rate(tt_logins_total[5m])) * 60"),
            ("two-factor failures", "sum(rate(tt_two_factor_failures_total[5m])) * 60"),
            ("429 {{view}}", "sum by (view) (rate(tt_rate_limit_refusals_total[5m])) * 60"),
        ],
    ),
    (
        "Database queries per second and p95 duration",
        "short",
        [
            ("queries/s", "sum(rate(django_db_execute_total[1m]))"),
            (
                "p95 (ms)",
                "histogram_quantile(0.95, sum by (le) "
                "(rate(django_db_query_duration_seconds_bucket[5m]))) * 1000",
            ),
        ],
    ),
    (
        "Cache hit ratio",
        "percentunit",
        [
            (
                "hits",
                "sum(rate(django_cache_get_hits_total[5m])) "
                "/ sum(rate(django_cache_get_total[5m]))",
            )
        ],
    ),
    ("Open incidents", "short", [("{{kind}}", "max by (kind) (tt_incidents_open)")]),
]


def dashboard() -> dict:
    panels = []
    for n, (title, unit, targets) in enumerate(PANELS):
        panels.append(
            {
                "id": n + 1,
                "type": "timeseries",
                "title": title,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 8, "x": (n % 3) * 8, "y": (n // 3) * 8},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [
                    {"refId": chr(65 + i), "expr": expr, "legendFormat": legend}
                    for i, (legend, expr) in enumerate(targets)
                ],
            }
        )
    return {
        "title": "Terms & Testers",
        "uid": "terms-and-testers",
        "description": "What an operator watches (docs/operations/index.md).",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "30s",
        "tags": ["terms-and-testers"],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                }
            ]
        },
        "panels": panels,
    }


def _legend(template: str, labels: dict) -> str:
    out = template
    for key, value in labels.items():
        out = out.replace("{{" + key + "}}", value)
    return out.replace("{{", "").replace("}}", "")


def _svg(series: list[tuple[str, list[tuple[float, float]]]], width=380, height=150) -> str:
    points = [p for _, values in series for p in values]
    if not points:
        return '<p class="none">no data</p>'
    t0, t1 = min(p[0] for p in points), max(p[0] for p in points)
    highest = max(p[1] for p in points)
    top = highest or 1.0
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2"]
    lines = []
    for i, (_, values) in enumerate(series):
        xy = " ".join(
            f"{(t - t0) / max(t1 - t0, 1) * width:.1f},{height - v / top * (height - 10):.1f}"
            for t, v in values
        )
        lines.append(
            f'<polyline fill="none" stroke="{colours[i % 7]}" stroke-width="1.6" points="{xy}"/>'
        )
    legend = "".join(
        f'<span style="color:{colours[i % 7]}">■ {html.escape(name)}</span> '
        for i, (name, _) in enumerate(series[:7])
    )
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<rect width="{width}" height="{height}" fill="#fafafa"/>{"".join(lines)}</svg>'
        f'<div class="legend">max {highest:.3g} · {legend}</div>'
    )


def render(prometheus: str, minutes: float = 5) -> str:
    end = time.time()
    start = end - minutes * 60
    cells = []
    for title, unit, targets in PANELS:
        series = []
        for legend, expr in targets:
            answer = requests.get(
                f"{prometheus}/api/v1/query_range",
                params={"query": expr, "start": start, "end": end, "step": 2},
                timeout=20,
            ).json()
            for result in answer.get("data", {}).get("result", []):
                values = [(float(t), float(v)) for t, v in result["values"] if v not in ("NaN",)]
                series.append((_legend(legend, result["metric"]), values))
        heading = f"<h2>{html.escape(title)} <small>({unit})</small></h2>"
        cells.append(f"<section>{heading}{_svg(series)}</section>")
    return (
        "<!doctype html><meta charset=utf-8><title>Terms &amp; Testers: operations</title>"
        "<style>body{font:13px sans-serif;margin:12px;background:#fff}"
        "main{display:grid;grid-template-columns:repeat(3,400px);gap:10px}"
        "section{border:1px solid #ddd;padding:6px}h2{font-size:13px;margin:0 0 4px}"
        ".legend{font-size:11px;color:#333}.none{color:#999}</style>"
        f"<h1 style='font-size:16px'>Terms &amp; Testers — the dashboard's panels, last "
        f"{minutes:g} minutes of the production-like run (Prometheus {html.escape(prometheus)})"
        f"</h1><main>{''.join(cells)}</main>"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        DASHBOARD.parent.mkdir(parents=True, exist_ok=True)
        DASHBOARD.write_text(json.dumps(dashboard(), indent=2) + "\n")
        print(f"wrote {DASHBOARD.relative_to(ROOT)}")
    else:
        sys.exit("usage: python -m tools.ops.dashboard write")

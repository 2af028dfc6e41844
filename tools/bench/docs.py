"""The benchmark's table in the manual: `make bench ARGS="--write-docs"`.

docs/benchmarks/index.md holds the latest full-scale run only, between two markers; the run
it replaces moves to the top of docs/benchmarks/history.md, so the figures are written by the
tool that measured them and no dated run is lost.
"""

import re
from pathlib import Path

LATEST_START = "<!-- bench:latest:start -->"
LATEST_END = "<!-- bench:latest:end -->"
HISTORY_START = "<!-- bench:history:start -->"


class DocsError(Exception):
    """The pages lack the markers the table is written between."""


def latest_block(result: dict, table: str) -> str:
    """The heading line of a run and its table, as the index page shows them."""
    generated = result.get("generation_seconds")
    data = f"data generated in {generated:.0f} s" if generated else "the data of an earlier run"
    when = result["date"].replace("T", " ").replace("+00:00", " UTC")
    return (
        f"{when} on {result['machine']}, scale {result['scale']}, median of "
        f"{result['runs']} runs, {data}. The machine's speed, a fixed Python loop the bench "
        f"times: {result['machine_speed']} (lower is faster).\n\n{table}"
    )


def _between(text: str, start: str, end: str, page: Path) -> tuple[int, int]:
    if start not in text or end not in text:
        raise DocsError(f"{page} lacks the markers {start} and {end}.")
    return text.index(start) + len(start), text.index(end)


def write(result: dict, table: str, folder: Path) -> str:
    """Put this run on the index page and the run it replaces on the history page.

    Returns the date of the replaced run ("" when the page held none)."""
    index, history = folder / "index.md", folder / "history.md"
    page = index.read_text()
    start, end = _between(page, LATEST_START, LATEST_END, index)
    replaced = page[start:end].strip()
    index.write_text(page[:start] + "\n" + latest_block(result, table) + "\n" + page[end:])
    if not replaced:
        return ""
    dated = re.search(r"\d{4}-\d{2}-\d{2}", replaced)
    day = dated.group(0) if dated else "an earlier day"
    past = history.read_text()
    if HISTORY_START not in past:
        raise DocsError(f"{history} lacks the marker {HISTORY_START}.")
    at = past.index(HISTORY_START) + len(HISTORY_START)
    entry = f"\n\n## {day}: full-scale run\n\n{replaced}"
    history.write_text(past[:at] + entry + past[at:])
    return day

"""`make bench ARGS="--write-docs"` puts the run's table on docs/benchmarks/index.md and moves
the run it replaces to the top of docs/benchmarks/history.md; no dated run is lost."""

import shutil
from pathlib import Path

import pytest

from tools.bench import docs

BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks"
RESULT = {
    "date": "2027-01-15T09:30:00+00:00",
    "machine": "x86_64, 2 cores, Python 3.11.7",
    "machine_speed": "84 ms before, 86 ms after",
    "scale": 1.0,
    "runs": 3,
    "generation_seconds": 181.4,
}
TABLE = "| what | ours | peer | ratio | target | met |\n|---|---|---|---|---|---|\n| x | 1 |  |  |  | yes |"


@pytest.fixture
def pages(tmp_path) -> Path:
    for name in ("index.md", "history.md"):
        shutil.copy(BENCHMARKS / name, tmp_path / name)
    return tmp_path


def test_the_pages_hold_the_markers_the_bench_writes_between():
    assert docs.LATEST_START in (BENCHMARKS / "index.md").read_text()
    assert docs.LATEST_END in (BENCHMARKS / "index.md").read_text()
    assert docs.HISTORY_START in (BENCHMARKS / "history.md").read_text()


def test_a_new_run_replaces_the_latest_table_and_the_old_one_moves_to_the_history(pages):
    before = (pages / "index.md").read_text()
    old = before.split(docs.LATEST_START)[1].split(docs.LATEST_END)[0].strip()
    assert old.startswith("2026-11-28")

    replaced = docs.write(RESULT, TABLE, pages)

    assert replaced == "2026-11-28"
    index = (pages / "index.md").read_text()
    latest = index.split(docs.LATEST_START)[1].split(docs.LATEST_END)[0]
    assert latest.strip().startswith("2027-01-15 09:30:00 UTC on x86_64, 2 cores")
    assert "data generated in 181 s" in latest and TABLE in latest
    assert old not in index
    # What is outside the markers (how to run it, what misses and why) is kept.
    assert index.split(docs.LATEST_START)[0] == before.split(docs.LATEST_START)[0]
    history = (pages / "history.md").read_text()
    entry = history.split(docs.HISTORY_START)[1]
    assert entry.lstrip().startswith("## 2026-11-28: full-scale run")
    assert old in entry
    assert "issue 22" in entry  # the earlier history stays, below the moved run


def test_pages_without_the_markers_are_refused_and_left_alone(pages):
    (pages / "index.md").write_text("# Benchmarks\n")
    with pytest.raises(docs.DocsError, match="lacks the markers"):
        docs.write(RESULT, TABLE, pages)
    assert (pages / "index.md").read_text() == "# Benchmarks\n"

"""Tidy code (issue 26): no timings in comments or docstrings (figures live in the benchmark
table, docs/benchmarks/), and vulture finds no dead code (`make test` runs it too)."""

import re
import subprocess
import sys
import tokenize
from pathlib import Path

from tests.core.test_code_shape import ROOT, _modules

# "took 4 ms", "in 1.5 s instead of 1.8 s", "costs 0.4 s": a measured duration (a setting's
# value, "a 5 s timeout", is not one).
TIMING = re.compile(
    r"\b(took|takes|cost|costs|costing|spent|in|of)\s+(about\s+)?\d[\d.,\-]*\s?(ms|µs|s|seconds)\b"
    r"|\d[\d.,]*\s?(ms|µs|s|seconds)\s+instead of"
)


def _comments_and_docstrings(path: Path):
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type == tokenize.COMMENT or (
                token.type == tokenize.STRING and token.string.startswith(('"""', "'''"))
            ):
                yield token.start[0], token.string


def test_no_timings_in_comments_or_docstrings():
    found = []
    for path in _modules():
        if path.relative_to(ROOT).parts[:2] == ("tools", "bench"):
            continue  # the benchmark prints figures; its text talks about them
        for line, text in _comments_and_docstrings(path):
            for match in TIMING.finditer(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: …{match.group(0)}…")
    assert not found, "timings belong in the benchmark table:\n" + "\n".join(found)


def test_vulture_finds_no_dead_code():
    vulture = Path(sys.executable).with_name("vulture")
    result = subprocess.run([str(vulture)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

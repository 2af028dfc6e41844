"""The benchmark: `python -m tools.bench [--scale 0.1 ...]` (see `run.py`; `make bench`)."""

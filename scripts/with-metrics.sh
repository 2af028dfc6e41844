#!/bin/sh
# Runs one process of the Procfile with an empty folder of its own for the Prometheus
# client's multiprocess mode (gunicorn's workers, a prefork worker's children count there;
# the process serves their sum). The folder is named after the role and the port honcho gave
# the process, under METRICS_DIR (var/metrics by default), and emptied at every start.
# Usage: scripts/with-metrics.sh web gunicorn ...
set -eu
role="$1"
shift
dir="${METRICS_DIR:-var/metrics}/$role-${PORT:-0}"
rm -rf "$dir"
mkdir -p "$dir"
PROMETHEUS_MULTIPROC_DIR="$(cd "$dir" && pwd)"
export PROMETHEUS_MULTIPROC_DIR
exec "$@"

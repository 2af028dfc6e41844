# Helpers for scripts/test.sh and scripts/bench.sh: make sure PostgreSQL, Redis
# and Chromium are there, starting or installing them, or fail loudly.

die() { echo "FATAL: $*" >&2; exit 1; }

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it."
    command -v pg_ctlcluster >/dev/null || die "PostgreSQL is down and pg_ctlcluster is not installed"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
    pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL did not start"
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -Atc "select 1" >/dev/null \
    || die "PostgreSQL answers but user postgres cannot connect (trust auth expected)"
}

start_redis() {
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

ensure_redis() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Redis is not answering on 127.0.0.1:6379; starting it."
    command -v redis-server >/dev/null || die "Redis is down and redis-server is not installed"
    start_redis || true
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || die "Redis did not start"
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium and chromium-driver for the browser tests."
    [ "$(id -u)" = 0 ] || die "Chromium is missing and installing it needs root (apt-get install chromium)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || die "Could not install chromium"
  fi
  /usr/bin/chromium --version >/dev/null 2>&1 || die "/usr/bin/chromium does not run"
}

ensure_libreoffice() {
  if ! command -v soffice >/dev/null 2>&1; then
    echo "Installing LibreOffice Calc (headless) to open exported files as finance would."
    [ "$(id -u)" = 0 ] || die "LibreOffice is missing and installing it needs root"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null) \
      || die "Could not install LibreOffice"
  fi
}

ensure_axe() {
  # axe-core (pinned in package.json / package-lock.json) is what the browser tests check
  # every page with; it is loaded from node_modules, never from a CDN.
  command -v npm >/dev/null || die "npm is missing (apt-get install npm) and the browser tests need axe-core"
  npm ci --no-audit --no-fund --silent || die "npm ci failed (axe-core for the browser tests)"
}

ensure_prometheus() {
  # Debian's Prometheus: `promtool test rules` checks the alert rules (monitoring/), and the
  # production-like run scrapes every process with a real server.
  if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
    echo "Installing Debian's prometheus (promtool and the server) for the alert and scrape tests."
    [ "$(id -u)" = 0 ] || die "Prometheus is missing and installing it needs root (apt-get install prometheus)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) \
      || die "Could not install prometheus"
  fi
  promtool --version >/dev/null 2>&1 || die "promtool does not run"
}

ensure_ffmpeg() {
  # ffprobe (Debian's ffmpeg) parses every uploaded video's container before it is stored
  # (core.uploads): its length, its streams, and that it is a video at all.
  if ! command -v ffprobe >/dev/null 2>&1; then
    echo "Installing Debian's ffmpeg (ffprobe checks uploaded videos)."
    [ "$(id -u)" = 0 ] || die "ffprobe is missing and installing it needs root (apt-get install ffmpeg)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null) \
      || die "Could not install ffmpeg"
  fi
  ffprobe -version >/dev/null 2>&1 || die "ffprobe does not run"
}

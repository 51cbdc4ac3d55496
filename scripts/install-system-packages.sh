#!/usr/bin/env bash
# Debian packages the test suites need. PostgreSQL is used when already running on 127.0.0.1:5432;
# otherwise the server binaries are installed so scripts/postgres.sh can start a throw-away cluster.
# Chromium runs the browser suites (test/browser) through playwright-core.
set -euo pipefail
source "$(dirname "$0")/postgres.sh"
if ! server_answers 127.0.0.1 5432 && [ -z "$(pg_bin_dir)" ]; then
  install_postgres || { echo "cannot install PostgreSQL (need root and apt-get)" >&2; exit 1; }
fi
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "cannot install Chromium (need root and apt-get); set CHROMIUM_PATH to a Chromium binary" >&2
    exit 1
  fi
  echo "Installing Chromium from Debian packages…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

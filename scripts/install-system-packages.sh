#!/usr/bin/env bash
# Debian packages the test suites need. PostgreSQL is used when already running on 127.0.0.1:5432;
# otherwise the server binaries are installed so scripts/postgres.sh can start a throw-away cluster.
set -euo pipefail
source "$(dirname "$0")/postgres.sh"
if ! server_answers 127.0.0.1 5432 && [ -z "$(pg_bin_dir)" ]; then
  install_postgres || { echo "cannot install PostgreSQL (need root and apt-get)" >&2; exit 1; }
fi

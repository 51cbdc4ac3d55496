#!/usr/bin/env bash
# The README's test command (`npm test`): type-checks, then runs every suite on the embedded
# engine and on a PostgreSQL server. The server is the one in TEST_DATABASE_URL, else a running
# one on 127.0.0.1:5432, else a throw-away cluster started (and installed, if need be) here.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  ensure_test_postgres
fi
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  echo "warning: no PostgreSQL available; running the embedded engine only" >&2
else
  echo "PostgreSQL for tests: ${TEST_DATABASE_URL}"
fi

if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM_PATH:-}" ]; then
  bash scripts/install-system-packages.sh || echo "warning: no Chromium; the browser suites are skipped" >&2
fi

npx tsc --noEmit -p .
npx tsc --noEmit -p sdk
npx vitest run "$@"

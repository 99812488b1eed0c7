#!/usr/bin/env bash
# Install (scripts/install.sh), then lint (ruff), type-check (mypy) and run the whole test
# suite (pytest). Tests use real components: a SoftHSM2 token, certomancer responders on
# 127.0.0.1, the gRPC server, pdfsig, and Redis (127.0.0.1:6379 if running, else their own).
# The verifier's corpus tests read ../shared beside the repository. Extra arguments go to
# pytest. Exit status: pytest's when it fails, else 1 when ruff or mypy failed, else 0.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install.sh --test || exit 1
# Every tool runs from the project's own virtualenv, never from PATH.
py=.venv/bin/python
[ -d ../shared ] || echo "test: warning: ../shared is missing; corpus tests fail under CI (CI=true), else skip" >&2

lint=0
echo "== ruff check" >&2
"$py" -m ruff check . || lint=1
echo "== ruff format --check" >&2
"$py" -m ruff format --check . || lint=1
echo "== mypy" >&2
"$py" -m mypy || lint=1
echo "== pytest" >&2
# One pytest-xdist worker per CPU (KYSO_TEST_WORKERS overrides; 0: one process), a file per
# worker at a time (--dist loadfile) so that a module's fixtures (a cluster, a server) start once.
# Most tests wait on servers, responders and subprocesses, so the CPUs are rarely both busy.
workers="${KYSO_TEST_WORKERS:-auto}"
# not passed on: kyso refuses KYSO_* variables it does not know (a misspelt override)
unset KYSO_TEST_WORKERS
if [ "$workers" = "0" ]; then
    "$py" -m pytest -q -p no:cacheprovider "$@"
else
    "$py" -m pytest -q -p no:cacheprovider -n "$workers" --dist loadfile "$@"
fi
status=$?
# pytest: 0 passed, 1 tests failed, 2 interrupted, 3 internal error, 4 usage error,
# 5 no tests collected; every non-zero status is a failure here.
if [ "$status" -ne 0 ]; then
    echo "test: pytest failed (exit status $status)" >&2
    exit "$status"
fi
if [ "$lint" -ne 0 ]; then
    echo "test: ruff or mypy reported problems" >&2
    exit 1
fi
echo "test: all passed" >&2

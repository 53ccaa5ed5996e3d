#!/usr/bin/env bash
# The project's test command (README, CI): install what is missing, lint,
# type-check, then run the test layers. Extra arguments go to pytest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/bootstrap.sh
venv=${OVSAGENT_VENV:-$here/.venv}
echo "== ruff"; "$venv/bin/ruff" check ovsagent tests
echo "== mypy"; "$venv/bin/mypy" ovsagent
echo "== pytest"
# pytest exits 5 when it collected no test: that is a failure here, never a pass.
set +e
if [ "$#" -eq 0 ]; then set -- tests/unit tests/functional tests/fullstack; fi
"$venv/bin/pytest" -p no:cacheprovider -ra "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "test.sh: no tests were collected" >&2; exit 1; fi
exit "$rc"

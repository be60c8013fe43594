#!/usr/bin/env bash
# Run one pytest stage.  pytest's exit code 5 ("no tests collected") counts as success, so a stage
# whose folder has no tests yet does not fail the build; every other non-zero code is passed on.
# Usage: scripts/pytest-stage.sh NAME PYTEST [ARGS...]
set -uo pipefail
name="$1"
shift
"$@"
rc=$?
if [[ $rc -eq 5 ]]; then
    echo "stage $name: no tests collected (pytest exit 5), counted as success"
    exit 0
fi
exit $rc

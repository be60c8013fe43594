#!/usr/bin/env bash
# Create or update .venv from requirements.lock (no dependency resolution), then install flowkit
# editable.  Idempotent and fast when nothing changed: a stamp file holds the hash of
# requirements.lock and pyproject.toml, and the install runs only when that hash changes.
#
# Usage: scripts/setup-venv.sh            (PYTHON=python3.12 scripts/setup-venv.sh for another Python)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
STAMP="$VENV/.flowkit-stamp"
want="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
    exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "flowkit needs Python >= 3.11, found " + sys.version.split()[0])'
    echo "setup: creating $VENV with $("$PYTHON" --version)"
    "$PYTHON" -m venv "$VENV"
fi

echo "setup: installing from requirements.lock (a few minutes on a fresh machine)"
# A new venv ships an old pip whose resolver takes minutes on this dependency set; upgrade first.
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r requirements.lock
"$VENV/bin/python" -m pip install --quiet --no-deps -e .
"$VENV/bin/python" -m pip check
echo "$want" > "$STAMP"
echo "setup: $VENV is ready ($("$VENV/bin/python" -m pip --version | cut -d' ' -f1-2))"

#!/usr/bin/env bash
# Create (idempotently) the separate virtual environment holding ASReview LAB 3.0.8,
# used only by benchmarks/asreview_runner.py. screener itself never imports asreview.
#
#   bash benchmarks/asreview_env.sh            # create / check
#   PYTHON=python3.12 bash benchmarks/asreview_env.sh
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${ASREVIEW_VENV:-$HERE/.asreview-venv}"
PY="${PYTHON:-python3.11}"
VERSION="3.0.8"

if [ -x "$VENV/bin/python" ] && \
   "$VENV/bin/python" -c "import asreview, sys; sys.exit(0 if asreview.__version__ == '$VERSION' else 1)" 2>/dev/null; then
    echo "asreview $VERSION already installed in $VENV"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "asreview==$VERSION"
"$VENV/bin/python" -c "import asreview; print('asreview', asreview.__version__, 'installed in $VENV')"

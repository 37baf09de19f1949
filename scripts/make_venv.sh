#!/usr/bin/env bash
# make_venv.sh: a Python virtual environment for the side-by-side targets (`make bench-peers`,
# `make hf-venv`), created once and then reused: torch first (from TORCH_INDEX when set, falling back
# to PyPI's), then the other packages from PyPI.
#
#   bash scripts/make_venv.sh LABEL VENV PYTHON TORCH_INDEX IMPORTS PACKAGE...
#   bash scripts/make_venv.sh hf-venv .build/hf-venv python3 "" "torch, transformers" transformers
#
# IMPORTS is the Python import list that must succeed for an existing VENV to be reused.
set -u
if [ "$#" -lt 5 ]; then
    echo "usage: make_venv.sh LABEL VENV PYTHON TORCH_INDEX IMPORTS PACKAGE..." >&2
    exit 2
fi
label=$1 venv=$2 python=$3 index=$4 imports=$5
shift 5

if "$venv/bin/python" -c "import $imports" >/dev/null 2>&1; then
    echo "$label: using $venv"
    exit 0
fi
echo "$label: creating $venv with torch $*"
"$python" -m venv "$venv" || { echo "$label: '$python -m venv' failed (Debian: apt-get install python3-venv)"; exit 1; }
if [ -n "$index" ]; then
    "$venv/bin/python" -m pip install -q torch --index-url "$index" || {
        echo "$label: no torch from $index; installing PyPI's torch (a larger download)"
        "$venv/bin/python" -m pip install -q torch || { echo "$label: pip could not install torch"; exit 1; }
    }
else
    "$venv/bin/python" -m pip install -q torch || { echo "$label: pip could not install torch"; exit 1; }
fi
if [ "$#" -gt 0 ]; then
    "$venv/bin/python" -m pip install -q "$@" || { echo "$label: pip could not install $*"; exit 1; }
fi
"$venv/bin/python" -c "import $imports" || { echo "$label: $venv still cannot import $imports"; exit 1; }

#!/usr/bin/env bash
# Creates or updates the Python environment the local hub backend runs JupyterHub from:
# target/hub-venv, with exactly crates/stoa_provision/hub/requirements.txt installed.
# Idempotent: a stamp file holds the sha256 of the requirements file it was built from, and
# nothing is done while it matches. Python: $STOA_HUB_PYTHON, else python3 (3.10 or newer, as JupyterHub 6 requires).
set -euo pipefail
cd "$(dirname "$0")/.."

req=crates/stoa_provision/hub/requirements.txt
venv=target/hub-venv
stamp=$venv/.stoa-requirements.sha256
python=${STOA_HUB_PYTHON:-python3}

want=$(sha256sum "$req" | awk '{print $1}')
if [ -x "$venv/bin/jupyterhub" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

printf '\033[1m==> %s\033[0m\n' "installing the hub environment in $venv (about 1-2 minutes)"
start=$(date +%s)
command -v "$python" >/dev/null || { echo "hub-env: $python not found (set STOA_HUB_PYTHON)" >&2; exit 1; }
# A venv whose interpreter has gone (Python upgraded or removed) is rebuilt from scratch.
if [ -d "$venv" ] && ! "$venv/bin/python" -c '' 2>/dev/null; then rm -rf "$venv"; fi
[ -d "$venv" ] || "$python" -m venv "$venv"
rm -f "$stamp"   # a failed install below must not look finished next time
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
"$venv/bin/jupyterhub" --version >/dev/null
echo "$want" >"$stamp"
echo "hub environment ready in $(( $(date +%s) - start )) s"

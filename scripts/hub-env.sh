#!/usr/bin/env bash
# Creates or updates the Python environment the local hub backend runs JupyterHub from:
# target/hub-venv, with exactly crates/stoa_provision/hub/requirements.txt installed.
# Idempotent: a stamp file holds the sha256 of the requirements file it was built from, and
# nothing is done while it matches (and the venv's interpreter is the one chosen below).
# Python (3.10 or newer, as JupyterHub 6 requires): $STOA_HUB_PYTHON, else the system's
# /usr/bin/python3 when recent enough, else python3. The system one comes first because user
# servers may run as another OS user (runtime.json user_server_user), who must be able to
# reach the venv's base interpreter and its standard library: a pyenv under /root is out of
# their reach.
set -euo pipefail
cd "$(dirname "$0")/.."

req=crates/stoa_provision/hub/requirements.txt
# The venv's scripts name its interpreter by absolute path (their #! line), so the venv is
# built at its real path: CI's `target` is a symlink into a cache that outlives the clone, and
# a venv made through a clone's path would break once that clone is gone. The real path is
# part of the stamp, so a venv that moved is rebuilt rather than trusted.
mkdir -p target
venv=$(realpath target)/hub-venv
stamp=$venv/.stoa-requirements.sha256
python=${STOA_HUB_PYTHON:-}
if [ -z "$python" ]; then
  if /usr/bin/python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    python=/usr/bin/python3
  else
    python=python3
  fi
fi
real() { "$1" -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null; }
interpreter=$(real "$python") || { echo "hub-env: $python does not run (set STOA_HUB_PYTHON)" >&2; exit 1; }
want="$(sha256sum "$req" | awk '{print $1}') $interpreter $venv"
if [ -x "$venv/bin/jupyterhub" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

printf '\033[1m==> %s\033[0m\n' "installing the hub environment in $venv from $interpreter (about 1-2 minutes)"
start=$(date +%s)
# A venv on another interpreter, built elsewhere (its #! lines name that place) or half
# made is rebuilt from scratch.
if [ -d "$venv" ]; then rm -rf "$venv"; fi
[ -d "$venv" ] || "$python" -m venv "$venv"
rm -f "$stamp"   # a failed install below must not look finished next time
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
"$venv/bin/jupyterhub" --version >/dev/null
echo "$want" >"$stamp"
echo "hub environment ready in $(( $(date +%s) - start )) s"

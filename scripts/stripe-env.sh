#!/usr/bin/env bash
# Creates or updates the Python environment of the Stripe API emulator the tests use:
# target/stripe-venv, with exactly peers/stripe/requirements.txt installed. Idempotent: a
# stamp holds the sha256 of the requirements it was built from (and where), and nothing is
# done while it matches. Same approach as scripts/hub-env.sh, which explains the choices.
set -euo pipefail
cd "$(dirname "$0")/.."

req=peers/stripe/requirements.txt
mkdir -p target
venv=$(realpath target)/stripe-venv
stamp=$venv/.stoa-requirements.sha256
python=${STOA_HUB_PYTHON:-python3}
want="$(sha256sum "$req" | awk '{print $1}') $venv"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
printf '\033[1m==> %s\033[0m\n' "installing the Stripe emulator (localstripe) in $venv"
if [ -d "$venv" ]; then rm -rf "$venv"; fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
"$venv/bin/python" -c 'import localstripe.server'
echo "$want" >"$stamp"

#!/usr/bin/env bash
# Install what ovsagent's tests and lab need, idempotently: Debian packages and
# a project venv in .venv (override with OVSAGENT_VENV). Prints progress.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${OVSAGENT_VENV:-$here/.venv}
apt_pkgs=(openvswitch-switch iproute2 socat iputils-ping tcpdump arping)

missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The package's own service is not wanted: every simulated host runs its own daemons.

if [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: creating venv $venv"
    python3 -m venv "$venv"
fi
stamp="$venv/.ovsagent-installed"
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
    echo "bootstrap: installing ovsagent and its dependencies into $venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e "$here[dev]"
    touch "$stamp"
fi
echo "bootstrap: ready ($venv)"

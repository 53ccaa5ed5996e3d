#!/usr/bin/env bash
# The lab in one command (README): install what is missing, bring up a small
# real cloud (neutron-server 29 + RabbitMQ + MariaDB + simulated hosts, one L2
# agent per host) and run the demo (vxlan + vlan networks, a VM per host on
# each, pings across hosts).
#
#   scripts/lab.sh                 bootstrap + `ovsagent-lab up` + `ovsagent-lab demo`
#   scripts/lab.sh down            stop and remove everything the lab started
#   scripts/lab.sh status|demo|up  any other ovsagent-lab command, as is
#
# Environment: OVSAGENT_LAB_AGENT=auto|ovsagent|reference (default auto: ovsagent,
# falling back to the reference agent while ovsagent cannot serve),
# OVSAGENT_LAB_DIR (default /var/lib/ovsagent-lab), OVSAGENT_NEUTRON_VENV.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv=${OVSAGENT_VENV:-$here/.venv}
lab() { "$venv/bin/python" -m ovsagent.lab.cli "$@"; }

if [ "$#" -gt 0 ]; then
    [ -x "$venv/bin/python" ] || bash scripts/bootstrap.sh
    lab "$@"
    exit $?
fi

start=$(date +%s)
echo "== bootstrap (Debian packages, ovsagent venv)"
bash scripts/bootstrap.sh
echo "== ovsagent-lab up (installs RabbitMQ, MariaDB and neutron-server 29 on first use)"
lab up
echo "== ovsagent-lab demo"
lab demo
echo "== done in $(( $(date +%s) - start ))s; the lab keeps running:"
echo "   scripts/lab.sh status    # services, hosts, agents, ports"
echo "   scripts/lab.sh down      # remove everything"

"""Install what the lab needs, idempotently, printing progress.

* Debian packages: RabbitMQ, MariaDB and the simulated hosts' tools.
  Package scripts that try to start the machine's own services are refused
  by the machine's policy or left alone: the lab starts private instances.
* neutron-server 29.0.0 from PyPI in a venv of its own (never in ovsagent's
  venv), shared between labs and test sessions through a cache directory.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

APT_PACKAGES = ("rabbitmq-server", "mariadb-server", "openvswitch-switch", "iproute2",
                "socat", "iputils-ping")
NEUTRON_REQUIREMENTS = ("neutron==29.0.0", "uwsgi", "PyMySQL")
STAMP = ".ovsagent-lab-installed"

Say = Callable[[str], None]


def _say(msg: str) -> None:
    print(f"lab: {msg}", flush=True)


def missing_apt_packages(packages: tuple[str, ...] = APT_PACKAGES) -> list[str]:
    missing = []
    for pkg in packages:
        proc = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True,
                              text=True, check=False)
        if "ok installed" not in proc.stdout:
            missing.append(pkg)
    return missing


def ensure_apt_packages(packages: tuple[str, ...] = APT_PACKAGES, say: Say = _say) -> float:
    """Install missing Debian packages; return the seconds it took (0 if none)."""
    with _lock(Path("/var/lock/ovsagent-lab-apt.lock")):
        missing = missing_apt_packages(packages)
        if not missing:
            return 0.0
        start = time.monotonic()
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        say(f"installing Debian packages: {' '.join(missing)} (apt-get update first)")
        _run_streaming(["apt-get", "update", "-qq"], env, say, "apt")
        _run_streaming(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                       env, say, "apt", keep=tuple(f"Setting up {p} " for p in missing))
        still = missing_apt_packages(packages)
        if still:
            raise RuntimeError(f"apt-get did not install: {' '.join(still)}")
        took = time.monotonic() - start
        say(f"Debian packages installed in {took:.0f}s")
        return took


def base_python() -> str:
    """The interpreter ovsagent's venv was made from (it has venv and the headers)."""
    for cand in (Path(sys.base_prefix) / "bin" / "python3", Path("/usr/bin/python3")):
        if cand.exists():
            return str(cand)
    return "python3"


def neutron_venv_ready(venv: Path) -> bool:
    stamp = venv / STAMP
    return stamp.exists() and stamp.read_text().split() == list(NEUTRON_REQUIREMENTS)


def ensure_neutron_venv(venv: Path, say: Say = _say) -> float:
    """Create ``venv`` with neutron 29.0.0, uwsgi and PyMySQL; return install seconds."""
    venv.parent.mkdir(parents=True, exist_ok=True)
    with _lock(venv.parent / f".{venv.name}.lock"):
        if neutron_venv_ready(venv):
            return 0.0
        start = time.monotonic()
        say(f"installing neutron-server into {venv} ({' '.join(NEUTRON_REQUIREMENTS)}); "
            "takes about a minute")
        if venv.exists():
            shutil.rmtree(venv)
        _run_streaming([base_python(), "-m", "venv", str(venv)], None, say, "venv")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        _run_streaming([*pip, "install", "--progress-bar", "off", *NEUTRON_REQUIREMENTS],
                       None, say, "pip", keep=("Building wheel for", "Successfully built"))
        (venv / STAMP).write_text(" ".join(NEUTRON_REQUIREMENTS) + "\n")
        took = time.monotonic() - start
        say(f"neutron venv ready in {took:.0f}s")
        return took


def _run_streaming(argv: list[str], env: dict[str, str] | None, say: Say, tag: str,
                   keep: tuple[str, ...] = ()) -> None:
    """Run ``argv``, echoing lines that start with one of ``keep`` and a heartbeat."""
    start = last = time.monotonic()
    tail: list[str] = []
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail = [*tail[-30:], line]
        now = time.monotonic()
        if keep and line.lstrip().startswith(keep):
            short = line.strip()
            say(f"  {tag}: {short[:110]}")
            last = now
        elif now - last > 10:
            say(f"  {tag}: still working ({now - start:.0f}s): {line.strip()[:70]}")
            last = now
    if proc.wait() != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n" + "\n".join(tail))


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive file lock, so two sessions never install the same thing at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def main() -> int:
    """``python -m ovsagent.lab.install [VENV]``: install everything, print timings."""
    from ovsagent.lab.state import default_neutron_venv

    venv = Path(sys.argv[1]) if len(sys.argv) > 1 else default_neutron_venv()
    apt = ensure_apt_packages()
    neutron = ensure_neutron_venv(venv)
    _say(f"install done: apt {apt:.0f}s, neutron venv {neutron:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

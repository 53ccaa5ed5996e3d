"""The control plane's services: a private RabbitMQ node, a private MariaDB,
and neutron-server 29 (API under uwsgi, RPC server, periodic workers).

Each ``start_*`` returns the processes it started (recorded by the caller);
nothing listens anywhere but on 127.0.0.1 or a unix socket in the lab dir.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ovsagent.lab import confgen, procs
from ovsagent.lab.procs import Proc
from ovsagent.lab.state import LabPaths

Say = Callable[[str], None]
RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


# ------------------------------------------------------------------ RabbitMQ
def rabbit_node(run_id: str) -> str:
    return f"ovsagent-lab-{run_id}@{socket.gethostname().split('.')[0]}"


def transport_url(port: int) -> str:
    return f"rabbit://guest:guest@127.0.0.1:{port}/"


def _rabbit_env(paths: LabPaths, node: str, port: int, epmd_port: int) -> dict[str, str]:
    r = paths.rabbit
    return {
        "HOME": str(r), "RABBITMQ_NODENAME": node, "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port), "RABBITMQ_DIST_PORT": str(port + 20000),
        "RABBITMQ_MNESIA_BASE": str(r / "mnesia"), "RABBITMQ_LOG_BASE": str(r / "log"),
        "RABBITMQ_PID_FILE": str(r / "node.pid"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(r / "enabled_plugins"),
        "RABBITMQ_CONFIG_FILE": str(r / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(r / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(r / "rabbitmq-env.conf"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "RABBITMQ_CTL_DIST_PORT_MIN": str(port + 20001),
        "RABBITMQ_CTL_DIST_PORT_MAX": str(port + 20010),
        "ERL_EPMD_PORT": str(epmd_port), "ERL_EPMD_ADDRESS": "127.0.0.1",
    }


def _as_user(user: str) -> list[str]:
    """Drop to ``user`` keeping the environment (unlike su/runuser, no fork)."""
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups"]


def start_rabbit(paths: LabPaths, run_id: str, port: int, epmd_port: int,
                 say: Say) -> dict[str, Proc]:
    """epmd (private port) + one RabbitMQ node; returns {'epmd': .., 'rabbitmq': ..}."""
    r = paths.rabbit
    for sub in ("mnesia", "log"):
        (r / sub).mkdir(parents=True, exist_ok=True)
    (r / "enabled_plugins").write_text("[].\n")
    (r / "rabbitmq.conf").write_text(confgen.rabbitmq_conf(port))
    (r / "advanced.config").write_text("[].\n")
    (r / "rabbitmq-env.conf").write_text("")
    uid = pwd.getpwnam("rabbitmq")
    for p in [r, *r.rglob("*")]:
        os.chown(p, uid.pw_uid, uid.pw_gid)
    node = rabbit_node(run_id)
    env = _rabbit_env(paths, node, port, epmd_port)
    epmd = procs.spawn(["epmd", "-port", str(epmd_port), "-address", "127.0.0.1"],
                       paths.logs / "epmd.log", env={"ERL_EPMD_ADDRESS": "127.0.0.1"})
    procs.wait_until(lambda: procs.port_open(epmd_port), 10, "epmd", proc=epmd)
    say(f"starting RabbitMQ node {node} on 127.0.0.1:{port}")
    rabbit = procs.spawn([*_as_user("rabbitmq"), str(RABBIT_BIN / "rabbitmq-server")],
                         paths.logs / "rabbitmq.log", env=env, cwd=r)
    started = {"epmd": epmd, "rabbitmq": rabbit}
    try:
        procs.wait_until(lambda: procs.port_open(port), 90, "RabbitMQ to listen", proc=rabbit)
        rabbitmqctl(paths, run_id, port, epmd_port, "await_startup", "--timeout", "60")
    except Exception:
        for proc in started.values():
            procs.stop(proc)
        raise
    return started


def rabbitmqctl(paths: LabPaths, run_id: str, port: int, epmd_port: int, *args: str) -> str:
    env = _rabbit_env(paths, rabbit_node(run_id), port, epmd_port)
    argv = [*_as_user("rabbitmq"), str(RABBIT_BIN / "rabbitmqctl"), "-n", rabbit_node(run_id),
            *args]
    return procs.run(argv, env=env, timeout=90).stdout


# ------------------------------------------------------------------- MariaDB
def start_mariadb(paths: LabPaths, say: Say) -> Proc:
    d = paths.mariadb
    data = d / "data"
    uid = pwd.getpwnam("mysql")
    if not (data / "mysql").is_dir():
        say("initialising private MariaDB")
        for sub in (data, d / "tmp"):
            sub.mkdir(parents=True, exist_ok=True)
        for p in (d, data, d / "tmp"):
            os.chown(p, uid.pw_uid, uid.pw_gid)
        procs.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--user=mysql",
                   "--auth-root-authentication-method=socket", "--skip-test-db"], timeout=180)
    paths.db_socket.unlink(missing_ok=True)
    proc = procs.spawn(["mariadbd", "--no-defaults", f"--datadir={data}",
                        f"--socket={paths.db_socket}", "--skip-networking", "--user=mysql",
                        f"--pid-file={d / 'mysqld.pid'}", f"--tmpdir={d / 'tmp'}",
                        "--innodb-buffer-pool-size=64M", "--max-connections=500",
                        "--character-set-server=utf8mb4"],
                       paths.logs / "mariadb.log")
    try:
        procs.wait_until(paths.db_socket.exists, 60, "MariaDB socket", proc=proc)
        mariadb_sql(paths, "CREATE DATABASE IF NOT EXISTS neutron CHARACTER SET utf8mb4")
    except Exception:
        procs.stop(proc)
        raise
    return proc


def mariadb_sql(paths: LabPaths, sql: str) -> str:
    return procs.run(["mariadb", "--no-defaults", f"--socket={paths.db_socket}", "-u", "root",
                      "-N", "-e", sql], timeout=60).stdout


# ----------------------------------------------------------- neutron-server
def write_server_config(paths: LabPaths, settings: confgen.ServerSettings,
                        venv: Path) -> None:
    etc = paths.server_etc
    etc.mkdir(parents=True, exist_ok=True)
    (settings.state_path / "lock").mkdir(parents=True, exist_ok=True)
    (paths.root / "tmp").mkdir(parents=True, exist_ok=True)
    (etc / "neutron.conf").write_text(confgen.server_neutron_conf(settings))
    (etc / "ml2_conf.ini").write_text(confgen.server_ml2_conf())
    (etc / "uwsgi.ini").write_text(confgen.uwsgi_ini(settings.api_port, venv,
                                                     paths.run / "uwsgi.pid"))


def _server_args(paths: LabPaths) -> list[str]:
    etc = paths.server_etc
    return ["--config-file", str(etc / "neutron.conf"), "--config-file", str(etc / "ml2_conf.ini")]


def _server_env(paths: LabPaths, venv: Path) -> dict[str, str]:
    return {"OS_NEUTRON_CONFIG_DIR": str(paths.server_etc),
            "OS_NEUTRON_CONFIG_FILES": "neutron.conf;ml2_conf.ini",
            "TMPDIR": str(paths.root / "tmp"),
            "PATH": f"{venv / 'bin'}:{os.environ.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}"}


def migrate_db(paths: LabPaths, venv: Path, say: Say) -> None:
    say("running neutron DB migrations (neutron-db-manage upgrade heads)")
    log = paths.logs / "neutron-db-manage.log"
    proc = procs.run([str(venv / "bin" / "neutron-db-manage"), *_server_args(paths),
                      "upgrade", "heads"], env=_server_env(paths, venv), timeout=300,
                     check=False)
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"neutron-db-manage failed; see {log}")


def start_neutron(paths: LabPaths, venv: Path, api_port: int, which: str) -> Proc:
    """Start one of ``api`` / ``rpc`` / ``periodic``."""
    env = _server_env(paths, venv)
    bin_ = venv / "bin"
    if which == "api":
        argv = [str(bin_ / "uwsgi"), "--ini", str(paths.server_etc / "uwsgi.ini")]
    elif which == "rpc":
        argv = [str(bin_ / "neutron-rpc-server"), *_server_args(paths)]
    elif which == "periodic":
        argv = [str(bin_ / "neutron-periodic-workers"), *_server_args(paths)]
    else:
        raise ValueError(which)
    return procs.spawn(argv, paths.logs / f"neutron-{which}.log", env=env)


def api_ready(api_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/v2.0/networks",
                                    timeout=5) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def remove_data(paths: LabPaths) -> None:
    for d in (paths.rabbit, paths.mariadb, paths.server_state):
        shutil.rmtree(d, ignore_errors=True)

"""RPC settings read from the agent's configuration.

ovsagent registers no RPC option of its own: ``rpc_response_timeout`` and the
transport options belong to oslo.messaging; ``host``,
``rpc_response_max_timeout``, ``rpc_resources_processing_step`` and
``[agent] report_interval`` / ``quitting_rpc_timeout`` are registered by
``ovsagent.config``. Unregistered options fall back to the reference defaults.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from oslo_config import cfg

#: broker reconnection attempts of one call before it fails (never block forever)
CALL_RETRY = 2


def _opt(conf: cfg.ConfigOpts, group: str | None, name: str, default: Any) -> Any:
    try:
        section = conf if group is None else getattr(conf, group)
        return getattr(section, name)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError, AttributeError):
        return default


@dataclass(frozen=True)
class RpcSettings:
    host: str
    response_timeout: float = 60.0  # first timeout of a call; doubles after each timeout
    response_max_timeout: float = 600.0
    report_interval: float = 30.0  # also the timeout of report_state
    quitting_timeout: float = 10.0  # cap on every timeout once the agent is stopping
    processing_step: int = 20  # devices per update_device_list call
    retry: int = CALL_RETRY

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> RpcSettings:
        return cls(
            host=str(_opt(conf, None, "host", None) or socket.gethostname()),
            response_timeout=float(_opt(conf, None, "rpc_response_timeout", 60)),
            response_max_timeout=float(_opt(conf, None, "rpc_response_max_timeout", 600)),
            report_interval=float(_opt(conf, "agent", "report_interval", 30) or 30),
            quitting_timeout=float(_opt(conf, "agent", "quitting_rpc_timeout", 10)),
            processing_step=int(_opt(conf, None, "rpc_resources_processing_step", 20)),
        )

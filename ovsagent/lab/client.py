"""A small typed client for the Neutron REST API (stdlib only).

The lab's server runs with ``auth_strategy = noauth``: a request without
``X-Project-Id`` gets an admin context, which may set ``binding:host_id``
and provider attributes. Resources come back as plain dicts (the API's own
field names); the helpers here pick what the lab needs.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

Resource = dict[str, Any]
PROJECT = "0ab5a11ab0000000000000000000001a"


class NeutronError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        self.status = status
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")


class NeutronClient:
    """``NeutronClient('http://127.0.0.1:9696')``; every call raises NeutronError on >= 400."""

    def __init__(self, endpoint: str, timeout: float = 60.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    # ------------------------------------------------------------- transport
    def request(self, method: str, path: str, body: Resource | None = None) -> Resource:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.endpoint}/v2.0/{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise NeutronError(method, path, exc.code, exc.read().decode(errors="replace")) \
                from None
        if not raw:
            return {}
        result = json.loads(raw)
        assert isinstance(result, dict)
        return result

    def _create(self, kind: str, attrs: Resource) -> Resource:
        out: Resource = self.request("POST", f"{kind}s", {kind: attrs})[kind]
        return out

    def _list(self, kind: str, **filters: str) -> list[Resource]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        out: list[Resource] = self.request("GET", f"{kind}s" + (f"?{query}" if query else ""))[
            f"{kind}s"]
        return out

    def _get(self, kind: str, ident: str) -> Resource:
        out: Resource = self.request("GET", f"{kind}s/{ident}")[kind]
        return out

    def _update(self, kind: str, ident: str, attrs: Resource) -> Resource:
        out: Resource = self.request("PUT", f"{kind}s/{ident}", {kind: attrs})[kind]
        return out

    def _delete(self, kind: str, ident: str, missing_ok: bool = True) -> None:
        try:
            self.request("DELETE", f"{kind}s/{ident}")
        except NeutronError as exc:
            if not (missing_ok and exc.status == 404):
                raise

    # -------------------------------------------------------------- networks
    def create_network(self, name: str, network_type: str | None = None,
                       physical_network: str | None = None, segmentation_id: int | None = None,
                       port_security: bool = False, **extra: Any) -> Resource:
        """A network; provider attributes only when given (else the tenant type)."""
        attrs: Resource = {"name": name, "admin_state_up": True, "project_id": PROJECT,
                           "port_security_enabled": port_security, **extra}
        if network_type:
            attrs["provider:network_type"] = network_type
        if physical_network:
            attrs["provider:physical_network"] = physical_network
        if segmentation_id is not None:
            attrs["provider:segmentation_id"] = segmentation_id
        return self._create("network", attrs)

    def list_networks(self, **filters: str) -> list[Resource]:
        return self._list("network", **filters)

    def get_network(self, net_id: str) -> Resource:
        return self._get("network", net_id)

    def delete_network(self, net_id: str) -> None:
        self._delete("network", net_id)

    # --------------------------------------------------------------- subnets
    def create_subnet(self, network_id: str, cidr: str, name: str = "",
                      gateway_ip: str | None = None, enable_dhcp: bool = False,
                      ip_version: int = 4, **extra: Any) -> Resource:
        return self._create("subnet", {
            "network_id": network_id, "cidr": cidr, "name": name, "ip_version": ip_version,
            "gateway_ip": gateway_ip, "enable_dhcp": enable_dhcp, "project_id": PROJECT,
            **extra})

    def list_subnets(self, **filters: str) -> list[Resource]:
        return self._list("subnet", **filters)

    def get_subnet(self, subnet_id: str) -> Resource:
        return self._get("subnet", subnet_id)

    def delete_subnet(self, subnet_id: str) -> None:
        self._delete("subnet", subnet_id)

    # ----------------------------------------------------------------- ports
    def create_port(self, network_id: str, host: str | None = None, name: str = "",
                    device_owner: str = "compute:nova", device_id: str | None = None,
                    fixed_ips: list[Resource] | None = None, **extra: Any) -> Resource:
        """A VM-like port; with ``host`` it is bound to that agent's host at once."""
        attrs: Resource = {"network_id": network_id, "name": name, "admin_state_up": True,
                           "project_id": PROJECT, "device_owner": device_owner,
                           "device_id": device_id or str(uuid.uuid4()), **extra}
        if host:
            attrs["binding:host_id"] = host
        if fixed_ips is not None:
            attrs["fixed_ips"] = fixed_ips
        return self._create("port", attrs)

    def list_ports(self, **filters: str) -> list[Resource]:
        return self._list("port", **filters)

    def get_port(self, port_id: str) -> Resource:
        return self._get("port", port_id)

    def update_port(self, port_id: str, **attrs: Any) -> Resource:
        return self._update("port", port_id, attrs)

    def delete_port(self, port_id: str) -> None:
        self._delete("port", port_id)

    def wait_port_status(self, port_id: str, status: str = "ACTIVE", timeout: float = 60.0,
                         interval: float = 0.1) -> float:
        """Poll until the port has ``status``; return seconds waited."""
        start = time.monotonic()
        port: Resource = {}
        while time.monotonic() - start < timeout:
            port = self.get_port(port_id)
            if port["status"] == status:
                return time.monotonic() - start
            time.sleep(interval)
        raise TimeoutError(f"port {port_id} not {status} within {timeout:.0f}s (status "
                           f"{port.get('status')}, binding:vif_type "
                           f"{port.get('binding:vif_type')})")

    # ---------------------------------------------------------------- agents
    def list_agents(self, **filters: str) -> list[Resource]:
        return self._list("agent", **filters)

    def delete_agent(self, agent_id: str) -> None:
        self._delete("agent", agent_id)

    def alive_agents(self, agent_type: str = "Open vSwitch agent") -> dict[str, Resource]:
        """host -> agent row, for agents of ``agent_type`` the server considers alive."""
        return {a["host"]: a for a in self.list_agents() if a["agent_type"] == agent_type
                and a["alive"]}

    # --------------------------------------------------------------- cleanup
    def delete_network_cascade(self, net_id: str) -> None:
        """Delete a network's ports, then the network (its subnets go with it)."""
        for port in self.list_ports(network_id=net_id):
            self.delete_port(port["id"])
        self.delete_network(net_id)


def subnet_prefix(client: NeutronClient, port: Resource) -> tuple[str, str]:
    """(ip, 'ip/prefixlen') of a port's first fixed IP."""
    fixed = port["fixed_ips"][0]
    prefix = client.get_subnet(fixed["subnet_id"])["cidr"].split("/")[1]
    return fixed["ip_address"], f"{fixed['ip_address']}/{prefix}"

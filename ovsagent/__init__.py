"""ovsagent: an independent Open vSwitch L2 agent for OpenStack Neutron."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ovsagent")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

"""RPC with neutron-server 29 over oslo.messaging (reference/04).

Pure modules (no oslo import): ``topics``, ``errors``, ``values``, ``ovo``,
``l2pop``, ``cache``, ``state``. Messaging: ``transport`` (the one shared
transport), ``calls`` (bounded calls), ``plugin_api`` (agent -> server),
``listener`` + ``consumers`` (server -> agent, all topics on one AMQP
connection), ``settings`` (values read from the agent's config).

Import the submodules directly; this package imports nothing so that the
pure parts stay cheap to load.
"""

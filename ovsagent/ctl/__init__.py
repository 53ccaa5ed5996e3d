"""``ovsagent-ctl``: ask a running agent what it does, over a local unix socket.

The agent serves :mod:`ovsagent.ctl.server` on ``[agent] ctl_socket``; the
command line (:mod:`ovsagent.ctl.cli`) sends one JSON request per
connection (:mod:`ovsagent.ctl.protocol`) and prints the reply for humans,
or as JSON with ``--json``.
"""

"""oslo.config options (reference names, sections, defaults) and the start-up chain.

* :mod:`.opts` -- every option ovsagent defines; ``list_opts`` for
  oslo-config-generator (namespace ``ovsagent``).
* :mod:`.support` -- which of them the core implements.
* :mod:`.startup` -- command line -> ``ConfigOpts``, logging.
* :mod:`.validate` -- the reference's start-up checks.
"""

from ovsagent.config.opts import list_opts

__all__ = ["list_opts"]

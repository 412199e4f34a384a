"""Registering and serving plugins: `Plugin` (sdk/plugin.py) and `ServeOptions` (sdk/options.py).

The server stack (grpc, serve.py, servicer.py) is imported only when
`plugin.serve()` runs, so importing a plugin module for tests stays cheap.
"""

from .options import ServeOptions
from .plugin import Plugin

__all__ = ["Plugin", "ServeOptions"]

"""Resources: long-lived objects (connections, clients, caches) that steps get injected.

    class VaultConfig(ResourceConfig):
        api_key: str

    class Vault(Resource):
        def __init__(self, api_key: str):
            self.api_key = api_key

    @plugin.resource(name="vault")
    def init_vault(config: VaultConfig) -> Vault:
        return Vault(config.api_key)

The host opens instances with `OpenResource` (the factory runs then) and binds
them to calls; `close()` runs on `CloseResource` and at shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .config import Config
from .schema import ConfigSchema
from .signature import Parameters


class ResourceConfig(Config):
    """Base of resource config classes (fields are annotations, as for any Config)."""


class Resource:
    """Optional base of resource instances. Override `close()` to release what the instance holds.

    Any object can be a resource instance; the SDK calls its `close()` if it has one.
    """

    def close(self) -> None:
        """Releases the instance (no-op by default). Exceptions are logged, not raised to the host."""


@dataclass
class ResourceDefinition:
    """Everything the SDK knows about one registered resource kind."""

    name: str
    factory: Callable[..., Any]
    description: str
    params: Parameters
    schema: ConfigSchema


def close_instance(instance: Any) -> None:
    """Calls the instance's `close()` (or `dispose()`), if it has one; its exceptions propagate."""
    closer = getattr(instance, "close", None) or getattr(instance, "dispose", None)
    if callable(closer):
        closer()

"""Config: the base of attribute-style config classes (StepConfig, ResourceConfig, command contexts).

Fields are class annotations, with defaults making them optional:

    class VaultConfig(ResourceConfig):
        api_key: str
        timeout_s: float = 5.0

The SDK builds instances from validated `config_json` (see schema.py); plugin
code reads them as attributes (`config.api_key`).
"""

from __future__ import annotations

import enum
from typing import Any, Dict


class Config:
    """Base of config classes whose fields are annotations. Instances give attribute access.

    `Config(**values)` validates like an incoming config and raises
    InvalidConfigError naming the field when a value is missing or wrong.
    """

    def __init__(self, **values: Any) -> None:
        from .schema import config_schema  # schema.py imports this module

        built = config_schema(type(self)).node.convert(dict(values), "")
        self.__dict__.update(built.__dict__)

    @classmethod
    def _heddle_build(cls, values: Dict[str, Any]) -> "Config":
        """Creates an instance from already-validated values (the SDK's fast path; no re-validation)."""
        instance = cls.__new__(cls)
        instance.__dict__.update(values)
        return instance

    def to_dict(self) -> Dict[str, Any]:
        """The config as plain JSON-like data (nested configs as dicts, enums as their values)."""
        return {k: _plain(v) for k, v in self.__dict__.items() if not k.startswith("_")}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


def _plain(value: Any) -> Any:
    if isinstance(value, Config):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value

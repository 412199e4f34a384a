"""The object node of compiled config schemas: known properties, required ones, defaults.

Split from schema_nodes.py (the scalar and container nodes) because objects
carry the extra bookkeeping of fields, defaults and how to build the value.
"""

from __future__ import annotations

import copy
import enum
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from .errors import InvalidConfigError
from .field import MISSING
from .schema_nodes import Node, describe_value, escape, where

@dataclass
class FieldSpec:
    """One property of an object node."""

    name: str
    node: Node
    required: bool
    default: Any = MISSING
    fill_default: bool = True


def json_default(value: Any) -> Any:
    """The JSON form of a default value for the schema, or MISSING when it has none."""
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return MISSING
    return value


_IMMUTABLE = (str, int, float, bool, type(None), enum.Enum, tuple, frozenset)


class ObjectNode(Node):
    """A config object: known properties, required ones, defaults, no unknown properties."""

    def __init__(
        self,
        fields: List[FieldSpec],
        build: Callable[[Dict[str, Any]], Any],
        title: Optional[str],
        accepts: Optional[type] = None,
        fill_defaults: bool = False,
    ) -> None:
        self.fields = fields
        self.build = build
        self.title = title
        self.accepts = accepts
        self.fill_defaults = fill_defaults
        self.names = frozenset(f.name for f in fields)
        self.required_names = [f.name for f in fields if f.required]

    def _schema(self) -> Dict[str, Any]:
        properties: Dict[str, Any] = {}
        for spec in self.fields:
            prop = spec.node.schema()
            if not spec.required and spec.default is not MISSING:
                default = json_default(spec.default)
                if default is not MISSING:
                    prop["default"] = default
            properties[spec.name] = prop
        schema: Dict[str, Any] = {"type": "object"}
        if self.title:
            schema["title"] = self.title
        schema["properties"] = properties
        schema["required"] = list(self.required_names)
        schema["additionalProperties"] = False
        return schema

    def convert(self, value: Any, pointer: str) -> Any:
        if self.accepts is not None and isinstance(value, self.accepts):
            return value
        if not isinstance(value, dict):
            raise InvalidConfigError(
                f"{where(pointer)} must be a JSON object, got {describe_value(value)}", field=pointer
            )
        for key in value:
            if key not in self.names:
                allowed = ", ".join(f.name for f in self.fields)
                hint = f"allowed fields are {allowed}" if allowed else "this config takes no fields"
                field_pointer = f"{pointer}/{escape(key)}"
                raise InvalidConfigError(f"config field {field_pointer} is not allowed: {hint}", field=field_pointer)
        out: Dict[str, Any] = {}
        for spec in self.fields:
            name = spec.name
            if name in value:
                out[name] = spec.node.convert(value[name], f"{pointer}/{escape(name)}")
            elif spec.required:
                field_pointer = f"{pointer}/{escape(name)}"
                raise InvalidConfigError(
                    f"config field {field_pointer} is required: set it to {spec.node.expected()}", field=field_pointer
                )
            elif self.fill_defaults and spec.fill_default and spec.default is not MISSING:
                default = spec.default
                out[name] = default if isinstance(default, _IMMUTABLE) else copy.deepcopy(default)
        return self.build(out)

    def expected(self) -> str:
        return "an object" + (f" with {', '.join(self.required_names)}" if self.required_names else "")

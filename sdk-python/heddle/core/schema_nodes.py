"""The compiled form of config types: each node emits its JSON Schema and validates a value.

Nodes are built once per config type by schema.py; `convert` runs for every
call, so it does the least work it can (no schema interpretation at call
time). Every failure raises InvalidConfigError with the JSON pointer of the
field and a message saying what was expected and what came.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional

from .errors import InvalidConfigError


def json_type_name(value: Any) -> str:
    """The JSON type of a decoded value: null, boolean, integer, number, string, array or object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def describe_value(value: Any) -> str:
    """A short human rendering of a value for error messages, e.g. `"5" (a string)`."""
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    kind = json_type_name(value)
    article = "an" if kind[0] in "aeiou" else "a"
    return text if kind in ("null", "boolean") else f"{text} ({article} {kind})"


def where(pointer: str) -> str:
    """How messages name a place: `config field /a/b`, or `config` for the document itself."""
    return f"config field {pointer}" if pointer else "config"


class Node:
    """Base node: subclasses implement `_schema`, `convert` and `expected`."""

    description: Optional[str] = None

    def schema(self) -> Dict[str, Any]:
        """The JSON Schema of this node (with its description, if any)."""
        schema = self._schema()
        if self.description:
            schema["description"] = self.description
        return schema

    def _schema(self) -> Dict[str, Any]:
        raise NotImplementedError

    def convert(self, value: Any, pointer: str) -> Any:
        """Validates a decoded JSON value and returns its Python form; raises InvalidConfigError."""
        raise NotImplementedError

    def expected(self) -> str:
        """What a valid value is, in words ("an integer >= 0")."""
        raise NotImplementedError

    def fail(self, value: Any, pointer: str) -> "InvalidConfigError":
        """The error for a value that does not match (returned so callers `raise` it)."""
        return InvalidConfigError(f"{where(pointer)} must be {self.expected()}, got {describe_value(value)}", field=pointer)


class AnyNode(Node):
    """Any JSON value."""

    def _schema(self) -> Dict[str, Any]:
        return {}

    def convert(self, value: Any, pointer: str) -> Any:
        return value

    def expected(self) -> str:
        return "any JSON value"


class BoolNode(Node):
    """true or false."""

    def _schema(self) -> Dict[str, Any]:
        return {"type": "boolean"}

    def convert(self, value: Any, pointer: str) -> Any:
        if value is True or value is False:
            return value
        raise self.fail(value, pointer)

    def expected(self) -> str:
        return "true or false"


_BOUND_WORDS = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}


class NumberNode(Node):
    """An integer (whole numbers only; 2.0 is accepted as 2) or any number, with optional bounds."""

    def __init__(self, integer: bool, bounds: Dict[str, float]) -> None:
        self.integer = integer
        self.bounds = dict(bounds)

    def _schema(self) -> Dict[str, Any]:
        return {"type": "integer" if self.integer else "number", **self.bounds}

    def convert(self, value: Any, pointer: str) -> Any:
        kind = type(value)
        if kind is int:
            result: Any = value if self.integer else float(value)
        elif kind is float and (not self.integer or value.is_integer()):
            result = int(value) if self.integer else value
        else:
            raise self.fail(value, pointer)
        bounds = self.bounds
        if bounds and not (
            result >= bounds.get("minimum", result)
            and result <= bounds.get("maximum", result)
            and ("exclusiveMinimum" not in bounds or result > bounds["exclusiveMinimum"])
            and ("exclusiveMaximum" not in bounds or result < bounds["exclusiveMaximum"])
        ):
            raise self.fail(value, pointer)
        return result

    def expected(self) -> str:
        text = "an integer" if self.integer else "a number"
        limits = [f"{_BOUND_WORDS[k]} {_number_text(v)}" for k, v in self.bounds.items()]
        return text + (" " + " and ".join(limits) if limits else "")


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class StringNode(Node):
    """A string with optional length limits and a regex `pattern` (searched, as in JSON Schema)."""

    def __init__(self, min_length: Optional[int], max_length: Optional[int], pattern: Optional[str]) -> None:
        self.min_length = min_length
        self.max_length = max_length
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern else None

    def _schema(self) -> Dict[str, Any]:
        schema: Dict[str, Any] = {"type": "string"}
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.pattern:
            schema["pattern"] = self.pattern
        return schema

    def convert(self, value: Any, pointer: str) -> Any:
        if type(value) is not str and not isinstance(value, str):
            raise self.fail(value, pointer)
        if (
            (self.min_length is not None and len(value) < self.min_length)
            or (self.max_length is not None and len(value) > self.max_length)
            or (self._regex is not None and not self._regex.search(value))
        ):
            raise self.fail(value, pointer)
        return value

    def expected(self) -> str:
        limits = []
        if self.min_length is not None:
            limits.append(f"at least {self.min_length} characters")
        if self.max_length is not None:
            limits.append(f"at most {self.max_length} characters")
        if self.pattern:
            limits.append(f"matching /{self.pattern}/")
        return "a string" + (" of " + " and ".join(limits) if limits else "")


class EnumNode(Node):
    """One of fixed values (Literal or Enum); Enum fields give the member, not the raw value."""

    def __init__(self, values: List[Any], enum_type: Optional[type]) -> None:
        self.values = values
        self.enum_type = enum_type

    def _schema(self) -> Dict[str, Any]:
        schema: Dict[str, Any] = {"enum": list(self.values)}
        kinds = {json_type_name(v) for v in self.values}
        if len(kinds) == 1 and kinds <= {"string", "integer", "boolean", "number"}:
            schema = {"type": kinds.pop(), **schema}
        return schema

    def convert(self, value: Any, pointer: str) -> Any:
        if self.enum_type is not None and isinstance(value, self.enum_type):
            return value
        for candidate in self.values:
            if candidate == value and type(candidate) is type(value):
                return self.enum_type(candidate) if self.enum_type is not None else candidate
        raise self.fail(value, pointer)

    def expected(self) -> str:
        return "one of " + ", ".join(json.dumps(v) for v in self.values)


class ArrayNode(Node):
    """A JSON array whose items all match `item`."""

    def __init__(self, item: Node, min_items: Optional[int], max_items: Optional[int]) -> None:
        self.item = item
        self.min_items = min_items
        self.max_items = max_items

    def _schema(self) -> Dict[str, Any]:
        schema: Dict[str, Any] = {"type": "array"}
        item_schema = self.item.schema()
        if item_schema:
            schema["items"] = item_schema
        if self.min_items is not None:
            schema["minItems"] = self.min_items
        if self.max_items is not None:
            schema["maxItems"] = self.max_items
        return schema

    def convert(self, value: Any, pointer: str) -> Any:
        if not isinstance(value, list):
            raise self.fail(value, pointer)
        if (self.min_items is not None and len(value) < self.min_items) or (
            self.max_items is not None and len(value) > self.max_items
        ):
            raise self.fail(value, pointer)
        item = self.item
        return [item.convert(v, f"{pointer}/{i}") for i, v in enumerate(value)]

    def expected(self) -> str:
        limits = []
        if self.min_items is not None:
            limits.append(f"at least {self.min_items}")
        if self.max_items is not None:
            limits.append(f"at most {self.max_items}")
        count = f" ({' and '.join(limits)} items)" if limits else ""
        item = "" if isinstance(self.item, AnyNode) else f" of {self.item.expected()} items"
        return f"an array{item}{count}"


class MapNode(Node):
    """A JSON object with free keys whose values all match `value` (any value when None)."""

    def __init__(self, value: Optional[Node]) -> None:
        self.value = value

    def _schema(self) -> Dict[str, Any]:
        schema: Dict[str, Any] = {"type": "object"}
        if self.value is not None:
            schema["additionalProperties"] = self.value.schema()
        return schema

    def convert(self, value: Any, pointer: str) -> Any:
        if not isinstance(value, dict):
            raise self.fail(value, pointer)
        if self.value is None:
            return value
        node = self.value
        return {k: node.convert(v, f"{pointer}/{escape(k)}") for k, v in value.items()}

    def expected(self) -> str:
        return "an object" + (f" whose values are {self.value.expected()}" if self.value is not None else "")


class NullableNode(Node):
    """null or the inner node (Optional[T])."""

    def __init__(self, inner: Node) -> None:
        self.inner = inner

    def _schema(self) -> Dict[str, Any]:
        return {"anyOf": [self.inner.schema(), {"type": "null"}]}

    def convert(self, value: Any, pointer: str) -> Any:
        if value is None:
            return None
        return self.inner.convert(value, pointer)

    def expected(self) -> str:
        return f"{self.inner.expected()} or null"


class UnionNode(Node):
    """The first of several nodes that accepts the value."""

    def __init__(self, members: List[Node]) -> None:
        self.members = members

    def _schema(self) -> Dict[str, Any]:
        return {"anyOf": [m.schema() for m in self.members]}

    def convert(self, value: Any, pointer: str) -> Any:
        for member in self.members:
            try:
                return member.convert(value, pointer)
            except InvalidConfigError:
                continue
        raise self.fail(value, pointer)

    def expected(self) -> str:
        return " or ".join(m.expected() for m in self.members)


def escape(name: str) -> str:
    """Escapes one JSON pointer segment (RFC 6901) when it needs it."""
    return name.replace("~", "~0").replace("/", "~1") if ("~" in name or "/" in name) else name

"""JSON Schema generation and validation for config classes.

A config type (a `Config` subclass such as `StepConfig`/`ResourceConfig`, a
TypedDict or a dataclass) is compiled once, at registration, into a tree of
nodes. The tree gives both the JSON Schema 2020-12 document the manifest
carries and a validator that turns incoming `config_json` into the Python
value the step receives, failing with `INVALID_CONFIG`, a JSON pointer to the
offending field and a message saying what was expected.

Supported field types: str, int, float, bool, list[T], dict / dict[str, T],
Optional[T], Union[...], Literal[...], Enum subclasses, Any, nested config
types, with `Field(...)` constraints (see field.py). A default makes a field
optional; `Optional[T]` without a default defaults to None.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from typing import Any, Dict, List, Optional

from .errors import InvalidConfigError
from .field import MISSING, Field
from .schema_nodes import (
    AnyNode,
    ArrayNode,
    BoolNode,
    EnumNode,
    MapNode,
    Node,
    NullableNode,
    NumberNode,
    StringNode,
    UnionNode,
)
from .schema_object import FieldSpec, ObjectNode

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_NoneType = type(None)


class ConfigSchema:
    """The compiled schema of one config type: JSON Schema text plus a validating parser.

    Build it with `ConfigSchema.for_type(tp)` (cached per type). Raises
    TypeError at build time for field types that have no JSON form, naming the
    field, so mistakes show up when the plugin registers its components.
    """

    __slots__ = ("type", "node", "json_schema", "json_text", "_accepts_empty")

    _cache: Dict[Any, "ConfigSchema"] = {}

    def __init__(self, tp: Any, node: Node) -> None:
        self.type = tp
        self.node = node
        schema = {"$schema": JSON_SCHEMA_DIALECT}
        schema.update(node.schema())
        self.json_schema: Dict[str, Any] = schema
        self.json_text = json.dumps(schema, separators=(",", ":"), sort_keys=False)
        self._accepts_empty = not getattr(node, "required_names", ())

    @classmethod
    def for_type(cls, tp: Any) -> "ConfigSchema":
        """Compiles (once) the schema of a config type; None means "accepts `{}` only"."""
        cached = cls._cache.get(tp)
        if cached is None:
            if tp is None:
                node: Node = EMPTY_OBJECT
            elif tp is dict or typing.get_origin(tp) is dict:
                node = compile_type(tp, Field(), "")  # free-form object
            else:
                node = _compile_object(tp, pointer="")
            cached = cls._cache[tp] = ConfigSchema(tp, node)
        return cached

    def parse(self, config_json: str) -> Any:
        """Validates `config_json` (empty means `{}`) and returns the config value.

        Raises InvalidConfigError with `field` set to the JSON pointer of the
        first offending field ("" when the document itself is wrong).
        """
        if not config_json or config_json == "{}":
            if self._accepts_empty:
                return self.node.convert({}, "")
            value: Any = {}
        else:
            try:
                value = json.loads(config_json)
            except ValueError as exc:
                raise InvalidConfigError(
                    f"config is not valid JSON ({exc}); pass a JSON object such as {{}}", field=""
                ) from None
        return self.node.convert(value, "")

    def validate(self, value: Any) -> Any:
        """Like `parse` for an already-decoded value (a dict)."""
        return self.node.convert(value, "")


def config_schema(tp: Any) -> ConfigSchema:
    """Shorthand for `ConfigSchema.for_type(tp)`."""
    return ConfigSchema.for_type(tp)


EMPTY_OBJECT = ObjectNode([], build=dict, title=None)


# -- compiling types ------------------------------------------------------------------


def is_config_type(tp: Any) -> bool:
    """Whether `tp` is a type the SDK can use as a config: Config subclass, TypedDict or dataclass."""
    from .config import Config  # config.py builds on this module

    if not isinstance(tp, type):
        return False
    return issubclass(tp, Config) or _is_typed_dict(tp) or dataclasses.is_dataclass(tp)


def _is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _compile_object(tp: Any, pointer: str, seen: Optional[set] = None) -> ObjectNode:
    from .config import Config

    seen = set() if seen is None else seen
    if tp in seen:
        raise TypeError(f"config type {tp.__name__} refers to itself (at {pointer or '/'}): recursive configs are not supported")
    seen = seen | {tp}
    if isinstance(tp, type) and issubclass(tp, Config):
        specs = _config_fields(tp, pointer, seen)
        return ObjectNode(specs, build=tp._heddle_build, title=tp.__name__, accepts=tp, fill_defaults=True)
    if _is_typed_dict(tp):
        return ObjectNode(_typed_dict_fields(tp, pointer, seen), build=dict, title=tp.__name__)
    if dataclasses.is_dataclass(tp):
        return ObjectNode(_dataclass_fields(tp, pointer, seen), build=lambda v, tp=tp: tp(**v), title=tp.__name__, accepts=tp)
    raise TypeError(
        f"{getattr(tp, '__name__', tp)!r} cannot be a config type: use a StepConfig/ResourceConfig subclass, a TypedDict or a dataclass"
    )


def _split_annotated(tp: Any) -> "tuple[Any, Field]":
    field = Field()
    while typing.get_origin(tp) is typing.Annotated:
        for extra in tp.__metadata__:
            if isinstance(extra, Field):
                field = field.merged(extra)
        tp = tp.__origin__
    return tp, field


def _hints(tp: Any) -> Dict[str, Any]:
    try:
        return typing.get_type_hints(tp, include_extras=True)
    except NameError as exc:
        raise TypeError(f"cannot resolve the annotations of config type {tp.__name__}: {exc}") from None


def _config_fields(tp: type, pointer: str, seen: set) -> List[FieldSpec]:
    specs = []
    for name, hint in _hints(tp).items():
        if name.startswith("_") or typing.get_origin(hint) is typing.ClassVar or hint is typing.ClassVar:
            continue
        hint, field = _split_annotated(hint)
        raw_default = getattr(tp, name, MISSING)
        if isinstance(raw_default, Field):
            field = field.merged(raw_default)
            raw_default = raw_default.default
        default = raw_default if raw_default is not MISSING else field.default
        specs.append(_field_spec(name, hint, field, default, pointer, seen))
    return specs


def _typed_dict_fields(tp: type, pointer: str, seen: set) -> List[FieldSpec]:
    required_keys = getattr(tp, "__required_keys__", frozenset())
    specs = []
    for name, hint in _hints(tp).items():
        while typing.get_origin(hint) in (typing.Required, typing.NotRequired):
            hint = typing.get_args(hint)[0]
        hint, field = _split_annotated(hint)
        spec = _field_spec(name, hint, field, field.default, pointer, seen)
        spec.required = name in required_keys  # the TypedDict decides, not nullability
        if spec.required:
            spec.default = MISSING
        spec.fill_default = False
        specs.append(spec)
    return specs


def _dataclass_fields(tp: type, pointer: str, seen: set) -> List[FieldSpec]:
    hints = _hints(tp)
    specs = []
    for dc_field in dataclasses.fields(tp):
        if not dc_field.init:
            continue
        hint, field = _split_annotated(hints[dc_field.name])
        default: Any = field.default
        if dc_field.default is not dataclasses.MISSING:
            default = dc_field.default
        elif dc_field.default_factory is not dataclasses.MISSING:
            default = dc_field.default_factory()
        spec = _field_spec(dc_field.name, hint, field, default, pointer, seen)
        if default is MISSING:  # the dataclass __init__ needs it, even when it may be null
            spec.required, spec.default = True, MISSING
        spec.fill_default = False  # the dataclass applies its own defaults
        specs.append(spec)
    return specs


def _field_spec(name: str, hint: Any, field: Field, default: Any, pointer: str, seen: set) -> FieldSpec:
    field_pointer = f"{pointer}/{escape_pointer(name)}"
    node = compile_type(hint, field, field_pointer, seen)
    if default is MISSING and isinstance(node, NullableNode):
        default = None
    return FieldSpec(name=name, node=node, required=default is MISSING, default=default)


def compile_type(hint: Any, field: Field, pointer: str, seen: Optional[set] = None) -> Node:
    """Compiles one field type (plus its Field constraints) into a node.

    Raises TypeError naming `pointer` for types that have no JSON form.
    """
    seen = set() if seen is None else seen
    hint, extra = _split_annotated(hint)
    field = field.merged(extra)
    node = _compile_bare(hint, field, pointer, seen)
    node.description = field.description
    return node


def _compile_bare(hint: Any, field: Field, pointer: str, seen: set) -> Node:
    import enum

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is typing.Any or hint is object:
        return AnyNode()
    if hint is str:
        return StringNode(field.min_length, field.max_length, field.pattern)
    if hint is bool:
        return BoolNode()
    if hint is int:
        return NumberNode(integer=True, bounds=field.bounds)
    if hint is float:
        return NumberNode(integer=False, bounds=field.bounds)
    if origin is typing.Literal:
        return EnumNode(list(args), enum_type=None)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return EnumNode([member.value for member in hint], enum_type=hint)
    if origin is typing.Union or _is_pipe_union(hint):
        members = [a for a in args if a is not _NoneType]
        inner = (
            compile_type(members[0], field, pointer, seen)
            if len(members) == 1
            else UnionNode([compile_type(a, field, pointer, seen) for a in members])
        )
        return NullableNode(inner) if len(members) < len(args) else inner
    if hint in (list, List) or origin in (list, List):
        item = compile_type(args[0], Field(), pointer + "/*", seen) if args else AnyNode()
        return ArrayNode(item, field.min_items, field.max_items)
    if hint in (dict, Dict) or origin in (dict, Dict):
        if args and args[0] is not str:
            raise TypeError(f"config field {pointer}: dict keys must be str (JSON object keys), got {args[0]!r}")
        value = compile_type(args[1], Field(), pointer + "/*", seen) if args else None
        return MapNode(value)
    if is_config_type(hint):
        return _compile_object(hint, pointer, seen)
    raise TypeError(
        f"config field {pointer} has type {getattr(hint, '__name__', hint)!r}, which has no JSON form: "
        "use str, int, float, bool, list, dict, Optional, Literal, an Enum or a nested config class"
    )


def _is_pipe_union(hint: Any) -> bool:
    import types

    return isinstance(hint, types.UnionType)


def escape_pointer(name: str) -> str:
    """Escapes one JSON pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`)."""
    return name.replace("~", "~0").replace("/", "~1")


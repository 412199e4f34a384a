"""Unit: JSON Schema generation from config types, and validation errors that name the field."""

import dataclasses
import enum
from typing import Annotated, Any, Dict, List, Literal, NotRequired, Optional, TypedDict, Union

import pytest

from heddle.core.errors import InvalidConfigError
from heddle.core.field import Field
from heddle.core.resource import ResourceConfig
from heddle.core.schema import ConfigSchema
from heddle.core.step import StepConfig


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Database(ResourceConfig):
    host: str
    port: int = 5432


class Everything(StepConfig):
    name: str
    count: int = Field(1, ge=1, le=10, description="how many")
    ratio: float = 0.5
    enabled: bool = False
    tags: List[str] = []
    labels: Dict[str, int] = {}
    extra: dict = {}
    note: Optional[str] = None
    mode: Literal["a", "b"] = "a"
    color: Color = Color.RED
    db: Optional[Database] = None
    code: Annotated[str, Field(pattern="^[A-Z]{3}$")] = "ABC"
    either: Union[int, str] = 0
    anything: Any = None


def _error(schema, value):
    with pytest.raises(InvalidConfigError) as caught:
        schema.validate(value)
    return caught.value


def test_generated_schema():
    schema = ConfigSchema.for_type(Everything).json_schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == ["name"]
    props = schema["properties"]
    assert props["name"] == {"type": "string"}
    assert props["count"] == {"type": "integer", "minimum": 1, "maximum": 10, "description": "how many", "default": 1}
    assert props["ratio"] == {"type": "number", "default": 0.5}
    assert props["enabled"] == {"type": "boolean", "default": False}
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert props["labels"] == {"type": "object", "additionalProperties": {"type": "integer"}, "default": {}}
    assert props["extra"] == {"type": "object", "default": {}}
    assert props["note"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
    assert props["mode"] == {"type": "string", "enum": ["a", "b"], "default": "a"}
    assert props["color"] == {"type": "string", "enum": ["red", "blue"], "default": "red"}
    db = props["db"]["anyOf"][0]
    assert db["required"] == ["host"] and db["properties"]["port"] == {"type": "integer", "default": 5432}
    assert props["code"]["pattern"] == "^[A-Z]{3}$"
    assert props["either"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
    assert props["anything"] == {"default": None}


def test_valid_config_gives_attribute_access_and_defaults():
    schema = ConfigSchema.for_type(Everything)
    config = schema.parse('{"name": "n", "count": 2.0, "color": "blue", "db": {"host": "h"}, "tags": ["x"]}')
    assert isinstance(config, Everything)
    assert (config.name, config.count, config.ratio, config.mode, config.note) == ("n", 2, 0.5, "a", None)
    assert config.color is Color.BLUE and config.db.host == "h" and config.db.port == 5432
    assert config.to_dict()["color"] == "blue" and config.to_dict()["db"] == {"host": "h", "port": 5432}
    other = schema.parse('{"name": "n"}')
    other.tags.append("mutated")
    assert schema.parse('{"name": "n"}').tags == []  # defaults are not shared between calls


@pytest.mark.parametrize(
    "value, field, words",
    [
        ({}, "/name", "required"),
        ({"name": 1}, "/name", "must be a string"),
        ({"name": "n", "count": 0}, "/count", "integer >= 1 and <= 10"),
        ({"name": "n", "count": True}, "/count", "integer"),
        ({"name": "n", "count": 1.5}, "/count", "integer"),
        ({"name": "n", "ratio": "x"}, "/ratio", "number"),
        ({"name": "n", "enabled": 1}, "/enabled", "true or false"),
        ({"name": "n", "tags": ["a", 2]}, "/tags/1", "string"),
        ({"name": "n", "labels": {"a": "x"}}, "/labels/a", "integer"),
        ({"name": "n", "mode": "c"}, "/mode", 'one of "a", "b"'),
        ({"name": "n", "color": "green"}, "/color", '"red", "blue"'),
        ({"name": "n", "db": {"port": 1}}, "/db/host", "required"),
        ({"name": "n", "db": {"host": "h", "x": 1}}, "/db/x", "not allowed"),
        ({"name": "n", "code": "abc"}, "/code", "matching"),
        ({"name": "n", "either": []}, "/either", "an integer or a string"),
        ({"name": "n", "typo": 1}, "/typo", "allowed fields are name, count"),
        ({"name": "n", "a/b": 1}, "/a~1b", "not allowed"),
    ],
)
def test_validation_errors_name_the_field(value, field, words):
    error = _error(ConfigSchema.for_type(Everything), value)
    assert error.code == "INVALID_CONFIG" and error.field == field
    assert field in error.message and words in error.message


def test_document_level_errors():
    schema = ConfigSchema.for_type(Everything)
    with pytest.raises(InvalidConfigError, match="not valid JSON") as caught:
        schema.parse("{oops")
    assert caught.value.field == ""
    assert "must be a JSON object" in _error(schema, [1]).message


def test_no_config_type_accepts_only_an_empty_object():
    schema = ConfigSchema.for_type(None)
    assert schema.parse("") == {} and schema.parse("{}") == {}
    assert _error(schema, {"a": 1}).message.endswith("this config takes no fields")


class Settings(TypedDict):
    algorithm: str
    rounds: int
    salt: NotRequired[str]


def test_typed_dict_config():
    schema = ConfigSchema.for_type(Settings)
    assert schema.json_schema["required"] == ["algorithm", "rounds"]
    value = schema.parse('{"algorithm": "sha256", "rounds": 2}')
    assert value == {"algorithm": "sha256", "rounds": 2} and type(value) is dict
    assert _error(schema, {"algorithm": "x"}).field == "/rounds"


@dataclasses.dataclass
class Window:
    size: int
    unit: Literal["s", "ms"] = "s"
    maybe: Optional[int] = None
    names: List[str] = dataclasses.field(default_factory=list)


def test_dataclass_config():
    schema = ConfigSchema.for_type(Window)
    assert schema.json_schema["required"] == ["size"]
    assert schema.json_schema["properties"]["names"]["default"] == []
    assert schema.parse('{"size": 3}') == Window(size=3)
    assert schema.parse('{"size": 3, "unit": "ms", "maybe": 4}') == Window(3, "ms", 4)


def test_free_form_dict_config():
    schema = ConfigSchema.for_type(dict)
    assert schema.json_schema["type"] == "object" and schema.parse('{"any": [1]}') == {"any": [1]}


def test_config_classes_validate_when_built_by_hand():
    assert Database(host="h").port == 5432
    with pytest.raises(InvalidConfigError, match="/host"):
        Database(port=1)


def test_unsupported_field_types_fail_at_registration():
    class Bad(StepConfig):
        when: bytes

    with pytest.raises(TypeError, match="/when"):
        ConfigSchema.for_type(Bad)
    with pytest.raises(TypeError, match="dict keys"):
        ConfigSchema.for_type(type("BadKeys", (StepConfig,), {"__annotations__": {"m": Dict[int, str]}}))


def test_reserved_step_config_names():
    with pytest.raises(TypeError, match="reserved"):
        type("Clash", (StepConfig,), {"__annotations__": {"resource": str}})


class Tree(StepConfig):
    child: Optional["Tree"] = None


def test_recursive_configs_are_refused():
    with pytest.raises(TypeError, match="refers to itself"):
        ConfigSchema.for_type(Tree)

"""Unit: registration reads signatures and configs once, and builds the manifest."""

import json
from typing import Optional, TypedDict

import pyarrow as pa
import pytest

from heddle.core import ipc
from heddle.core.command import CommandContext
from heddle.core.context import StepContext
from heddle.core.handler import ErrorsTable
from heddle.core.resource import Resource, ResourceConfig
from heddle.core.step import ResourceBinding, StepConfig
from heddle.core.table import Table
from heddle.sdk.plugin import Plugin
from heddle.sdk.servicer import build_manifest


class CacheConfig(ResourceConfig):
    size: int = 10


class Cache(Resource):
    def __init__(self, config: CacheConfig) -> None:
        self.size = config.size


class JoinConfig(StepConfig[CacheConfig]):
    key: str


class Events(Table):
    pass


def _plugin():
    plugin = Plugin(namespace="demo", version="2.0.0", description="a demo")

    plugin.resource(name="cache")(Cache)

    @plugin.step(resources={"left": "cache", "right": ResourceBinding("cache", optional=True)}, description="joins")
    def join(ctx: StepContext, input: Events, config: JoinConfig) -> Table:
        return input

    @plugin.step
    def source() -> Table:
        """Makes rows.

        More text that is not part of the description."""
        return Table.from_pydict({"a": [1]})

    @plugin.step(name="typed", input_schema=pa.schema([("a", pa.int64())]), output_schema=pa.schema([("b", pa.string())]))
    def typed(config: dict, table: Optional[Table] = None) -> Table:
        return table

    @plugin.handler(name="alert")
    def alert(input: ErrorsTable) -> None:
        return None

    class PingContext(StepConfig):
        message: str = "pong"

    @plugin.command(name="ping", mode="both", cluster_types=["local"])
    def ping(ctx: CommandContext, context: PingContext) -> None:
        return None

    return plugin


def test_parameters_are_placed_by_annotation_and_name():
    plugin = _plugin()
    join = plugin.steps["join"]
    assert (join.params.config, join.params.input, join.params.ctx) == ("config", "input", "ctx")
    assert join.params.input_class is Events and join.takes_input and not join.params.input_optional
    source = plugin.steps["source"]
    assert source.params.input is None and not source.takes_input and source.description == "Makes rows."
    typed = plugin.steps["typed"]
    assert typed.params.input == "table" and typed.params.input_optional
    assert plugin.commands["ping"].params.ctx == "ctx" and plugin.commands["ping"].params.config == "context"
    assert plugin.resources["cache"].params.config_type is CacheConfig


def test_manifest():
    manifest = build_manifest(_plugin())
    assert (manifest.namespace, manifest.version, manifest.description) == ("demo", "2.0.0", "a demo")
    assert json.loads(manifest.resources[0].config_schema_json)["properties"]["size"] == {"type": "integer", "default": 10}
    steps = {s.name: s for s in manifest.steps}
    assert [(r.binding, r.kind, r.optional) for r in steps["join"].resources] == [("left", "cache", False), ("right", "cache", True)]
    assert steps["join"].description == "joins"
    assert ipc.decode_schema(steps["typed"].input_schema) == pa.schema([("a", pa.int64())])
    assert steps["source"].input_schema == b""
    assert json.loads(steps["typed"].config_schema_json)["type"] == "object"
    assert [h.name for h in manifest.handlers] == ["alert"]
    command = manifest.commands[0]
    assert (command.name, command.mode, list(command.cluster_types)) == ("ping", 3, ["local"])
    assert json.loads(command.context_schema_json)["properties"]["message"]["default"] == "pong"


def test_version_defaults_without_a_plugin_json(monkeypatch, tmp_path):
    import heddle.sdk.plugin as plugin_module

    monkeypatch.setenv("HEDDLE_PLUGIN_DIR", str(tmp_path))
    monkeypatch.setattr(plugin_module, "_plugin_json_cache", None)
    assert Plugin(namespace="x").version == "0.0.0"
    (tmp_path / "heddle-plugin.json").write_text('{"version": "3.1.4", "description": "from json"}')
    monkeypatch.setattr(plugin_module, "_plugin_json_cache", None)
    plugin = Plugin(namespace="x")
    assert (plugin.version, plugin.description) == ("3.1.4", "from json")
    monkeypatch.setattr(plugin_module, "_plugin_json_cache", None)


def test_registration_mistakes_are_reported_at_once():
    plugin = Plugin(namespace="p", version="1")
    with pytest.raises(ValueError, match="not valid"):
        Plugin(namespace="has.dot")

    @plugin.step
    def once() -> Table:
        return Table.empty()

    with pytest.raises(ValueError, match="already registered"):
        plugin.step(name="once")(lambda: None)
    with pytest.raises(TypeError, match="cannot tell what to pass"):
        plugin.step(name="odd")(lambda config, input, mystery: None)
    with pytest.raises(TypeError, match="either resource= or resources="):
        plugin.step(name="both", resource="a", resources={"b": "b"})(lambda: None)
    with pytest.raises(TypeError, match="no input table"):
        plugin.command(name="c")(lambda ctx, input: None)

    @plugin.resource
    def pool(config: CacheConfig) -> Cache:
        return Cache(config)

    assert plugin.resources["pool"].params.config_type is CacheConfig
    with pytest.raises(ValueError, match="registered twice"):
        plugin.resource(name="pool")(pool)


class Options(TypedDict):
    level: int


def test_typed_dict_and_unannotated_configs():
    plugin = Plugin(namespace="p", version="1")

    @plugin.step
    def a(config: Options, input_table: Table) -> Table:
        return input_table

    @plugin.step
    def b(config, input):
        return input

    assert plugin.steps["a"].schema.json_schema["required"] == ["level"]
    assert plugin.steps["b"].schema.parse('{"anything": 1}') == {"anything": 1}


def test_step_config_resource_accessors():
    config = JoinConfig(key="k")
    with pytest.raises(LookupError, match="exactly one resource"):
        config.resource
    config.__dict__["_heddle_resources"] = {"cache": "instance"}
    assert config.resource == "instance" and config.resources == {"cache": "instance"}
    assert config.to_dict() == {"key": "k"}

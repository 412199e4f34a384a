"""End to end: the seed's security example and the seed's TypedDict style, run as real plugins."""

import hashlib
import json

import pyarrow as pa

from harness import SECURITY_EXAMPLE, TEST_PLUGINS, error_name, invoke, open_resource, output_table
from heddle.plugin.v1 import manifest_pb2


def _credentials() -> pa.Table:
    rows = json.loads((SECURITY_EXAMPLE / "credentials.json").read_text())
    return pa.Table.from_pylist(rows)


def test_security_manifest_is_generated_from_the_seed_classes(security):
    manifest = security.plugin.Describe(manifest_pb2.DescribeRequest(), timeout=10).manifest
    assert manifest.namespace == "security" and manifest.version == "0.1.0"  # version from heddle-plugin.json
    vault = json.loads(manifest.resources[0].config_schema_json)
    assert vault["properties"] == {"api_key": {"type": "string"}} and vault["required"] == ["api_key"]
    step = manifest.steps[0]
    assert step.name == "hash" and step.takes_input
    assert [(r.binding, r.kind) for r in step.resources] == [("vault", "vault")]
    config = json.loads(step.config_schema_json)
    assert config["required"] == ["algorithm"] and config["additionalProperties"] is False


def test_security_hash_outputs_id_and_hash(security):
    vault = open_resource(security, "vault", {"api_key": "k3y"}).instance_id
    table = _credentials()
    out = output_table(invoke(security, "hash", {"algorithm": "sha256"}, table, resources={"vault": vault}))
    assert out.schema.names == ["id", "hash"]
    expected = [hashlib.sha256(b"k3y" + p.encode()).hexdigest() for p in table.column("password").to_pylist()]
    assert out.column("hash").to_pylist() == expected
    assert out.column("id").to_pylist() == table.column("id").to_pylist()


def test_security_errors(security):
    assert error_name(open_resource(security, "vault", {}).error) == "INVALID_CONFIG"
    assert error_name(invoke(security, "hash", {"algorithm": "sha256"}, _credentials()).error) == "MISSING_RESOURCE"
    vault = open_resource(security, "vault", {"api_key": "k"}).instance_id
    bad = invoke(security, "hash", {"algorithm": "no-such-hash"}, _credentials(), resources={"vault": vault})
    assert error_name(bad.error) == "STEP_FAILED" and "no-such-hash" in bad.error.message


def test_typed_dict_style_step(launch):
    plugin = launch(TEST_PLUGINS / "typed_dict")
    manifest = plugin.plugin.Describe(manifest_pb2.DescribeRequest(), timeout=10).manifest
    schema = json.loads(manifest.steps[0].config_schema_json)
    assert manifest.version == "0.2.0"
    assert schema["properties"] == {"algorithm": {"type": "string"}, "rounds": {"type": "integer"}}
    assert schema["required"] == ["algorithm", "rounds"]
    table = pa.table({"id": [1], "password": ["pw"]})
    out = output_table(invoke(plugin, "hash_password", {"algorithm": "sha256", "rounds": 2}, table))
    assert out.to_pylist() == [{"id": 1, "hash": hashlib.sha256(hashlib.sha256(b"pw").digest()).hexdigest()}]
    missing = invoke(plugin, "hash_password", {"algorithm": "sha256"}, table)
    assert error_name(missing.error) == "INVALID_CONFIG" and missing.error.field == "/rounds"

// Files of a new Python plugin (`heddle-host new --lang python`).
import type { ScaffoldFiles, ScaffoldNames } from "./types.js";

/** The files of a Python plugin named `n.name` with namespace `n.namespace`. */
export function pythonScaffold(n: ScaffoldNames): ScaffoldFiles {
  return {
    "heddle-plugin.json": JSON.stringify({
      name: n.name,
      version: "0.1.0",
      description: `${n.name}: a Heddle plugin`,
      runtime: "python",
      entrypoint: "plugin.py",
    }, null, 2) + "\n",
    "plugin.py": `"""${n.name}: a Heddle plugin."""
import pyarrow as pa

from heddle.core.step import StepConfig
from heddle.core.table import Table
from heddle.sdk.plugin import Plugin

plugin = Plugin(namespace="${n.namespace}")


class TagConfig(StepConfig):
    column: str
    value: str


@plugin.step(name="tag")
def tag(config: TagConfig, input: Table) -> Table:
    """Returns the input with one more utf8 column holding \`value\` on every row."""
    values = pa.array([config.value] * input.num_rows, type=pa.string())
    return Table.from_arrow(input.arrow.append_column(config.column, values))


if __name__ == "__main__":
    plugin.serve()
`,
    "test_plugin.py": `"""Runs the plugin through the real host CLI (heddle-host on PATH, or $HEDDLE_HOST_BIN)."""
import json
import os
import pathlib
import shutil
import subprocess

HERE = pathlib.Path(__file__).parent


def heddle_host():
    return os.environ.get("HEDDLE_HOST_BIN") or shutil.which("heddle-host") or "heddle-host"


def test_describe_lists_the_tag_step():
    out = subprocess.run([heddle_host(), "describe", str(HERE)], check=True, capture_output=True, text=True)
    manifest = json.loads(out.stdout)
    assert manifest["namespace"] == "${n.namespace}"
    assert "tag" in [s["name"] for s in manifest["steps"]]


def test_tag_adds_the_column():
    out = subprocess.run(
        [heddle_host(), "call", str(HERE), "${n.namespace}.tag",
         "--config", json.dumps({"column": "tag", "value": "x"}), "--input", "-"],
        input=json.dumps([{"id": 1}, {"id": 2}]), check=True, capture_output=True, text=True,
    )
    assert json.loads(out.stdout) == [{"id": 1, "tag": "x"}, {"id": 2, "tag": "x"}]
`,
    "README.md": `# ${n.name}

A Heddle plugin in Python (namespace \`${n.namespace}\`).

- \`plugin.py\`: the plugin; \`heddle-plugin.json\`: how heddle-host starts it.
- Extra Python packages: list them in \`requirements.txt\`; heddle-host builds a cached venv for them.
- Describe it: \`heddle-host describe .\`
- Call it: \`echo '[{"id":1}]' | heddle-host call . ${n.namespace}.tag --config '{"column":"tag","value":"x"}' --input -\`
- Develop with live restarts: \`heddle-host dev .\`
- Test: \`python -m pytest\` (runs the plugin through \`heddle-host\`).
`,
  };
}

"""The seed's first style: a plain function with a TypedDict config (local/security.py)."""

import hashlib
from typing import TypedDict

from heddle.core import Table
from heddle.sdk.plugin import Plugin


class HashConfig(TypedDict):
    algorithm: str
    rounds: int


def hash_password(config: HashConfig, input_table: Table) -> Table:
    # input_table is a zero-copy Apache Arrow table!
    arrow_data = input_table.to_pandas()

    digests = []
    for password in arrow_data["password"]:
        digest = str(password).encode()
        for _ in range(config["rounds"]):
            digest = hashlib.new(config["algorithm"], digest).digest()
        digests.append(digest.hex())
    arrow_data["hash"] = digests
    arrow_data = arrow_data.drop(columns=["password"])

    return Table.from_pandas(arrow_data)


plugin = Plugin(namespace="local")
plugin.step(name="hash_password")(hash_password)

if __name__ == "__main__":
    plugin.serve()

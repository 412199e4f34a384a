"""Arrow Flight over Unix sockets, the peer a user would otherwise pick.

Moves one table host -> A -> B -> host with pyarrow.flight: the "host"
(this process) DoPuts the table to server A, A DoPuts it to server B (asked
with an action), and the host DoGets it back from B. A and B are separate
processes. Prints one JSON line per size: {"bytes": n, "seconds": t}.
Usage: flight_chain.py <socket-dir> <size-bytes>...
"""
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.flight as fl


class Peer(fl.FlightServerBase):
    def __init__(self, location):
        super().__init__(location)
        self.table = None

    def do_put(self, context, descriptor, reader, writer):
        self.table = reader.read_all()

    def do_get(self, context, ticket):
        return fl.RecordBatchStream(self.table)

    def do_action(self, context, action):
        # "forward:<location>": send the stored table to another peer.
        target = action.body.to_pybytes().decode()
        client = fl.connect(target)
        writer, _ = client.do_put(fl.FlightDescriptor.for_path("t"), self.table.schema)
        writer.write_table(self.table)
        writer.close()
        client.close()
        self.table = None
        return []


def serve(location):
    Peer(location).serve()


def main():
    sock_dir = sys.argv[1]
    sizes = [int(s) for s in sys.argv[2:]]
    locs = [f"grpc+unix://{os.path.join(sock_dir, n)}.sock" for n in ("a", "b")]
    procs = [mp.Process(target=serve, args=(loc,), daemon=True) for loc in locs]
    for p in procs:
        p.start()
    try:
        a, b = fl.connect(locs[0]), fl.connect(locs[1])
        for loc in locs:  # wait until both listen
            for _ in range(200):
                if os.path.exists(loc.split("://")[1]):
                    break
                time.sleep(0.05)
        for size in sizes:
            table = pa.table({"id": np.arange(size // 8, dtype=np.int64)})
            t0 = time.perf_counter()
            writer, _ = a.do_put(fl.FlightDescriptor.for_path("t"), table.schema)
            writer.write_table(table)
            writer.close()
            list(a.do_action(fl.Action("forward", locs[1].encode())))
            back = b.do_get(fl.Ticket(b"t")).read_all()
            seconds = time.perf_counter() - t0
            assert back.num_rows == table.num_rows
            print(json.dumps({"bytes": table.nbytes, "seconds": seconds}), flush=True)
            del table, back
    finally:
        for p in procs:
            p.kill()
            p.join()


if __name__ == "__main__":
    main()

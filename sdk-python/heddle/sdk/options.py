"""ServeOptions: the tunables of `plugin.serve()` (all have protocol-conformant defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MIB = 1024 * 1024


def _default_workers() -> int:
    # Calls run on pool threads; sleeping or I/O-bound steps hold one each, so
    # allow well more than the core count. HEDDLE_PLUGIN_THREADS overrides it.
    env = os.environ.get("HEDDLE_PLUGIN_THREADS", "")
    return int(env) if env.isdigit() and int(env) > 0 else max(16, (os.cpu_count() or 1) * 4)


@dataclass
class ServeOptions:
    """How the plugin process serves.

    - `max_workers`: threads running calls at once (more calls wait in gRPC).
    - `max_message_bytes`: gRPC max send/receive size (the protocol requires ≥ 16 MiB).
    - `max_unary_output_bytes`: larger unary outputs answer INVALID_OUTPUT (use InvokeStream).
    - `max_chunk_bytes`: size of streamed output chunks (protocol maximum 2 MiB).
    - `shutdown_grace_s`: grace for Shutdown without grace_ms, stdin EOF, SIGTERM and SIGINT.
    - `frames`: serve the frame lane (protocol §5.5) beside gRPC and offer the `frames` capability.
      `HEDDLE_PLUGIN_FRAMES=0` in the environment turns it off as well.
    """

    max_workers: int = 0
    max_message_bytes: int = 64 * MIB
    max_unary_output_bytes: int = 16 * MIB
    max_chunk_bytes: int = 2 * MIB
    shutdown_grace_s: float = 2.0
    frames: bool = True

    def __post_init__(self) -> None:
        if os.environ.get("HEDDLE_PLUGIN_FRAMES", "") == "0":
            self.frames = False
        if self.max_workers <= 0:
            self.max_workers = _default_workers()
        if self.max_message_bytes < 16 * MIB:
            raise ValueError("max_message_bytes must be at least 16 MiB (docs/protocol.md §2.2)")
        if not 0 < self.max_chunk_bytes <= 2 * MIB:
            raise ValueError("max_chunk_bytes must be between 1 byte and 2 MiB (docs/protocol.md §5.2)")

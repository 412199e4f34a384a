"""The one Invoke pipeline behind every lane: gRPC Invoke, InvokeStream and the frame lane.

Whatever carried the call, it goes the same way (protocol §5.1, §5.4, §5.5):
checks 1-3 for the step and every fused stage, then the input (check 4), a
StepContext registered by call id (so ControllerService.Cancel reaches it),
the chain, the output (shm past the host's threshold, else the lane's way),
and every failure as an `Error` in the response. A `Lane` supplies only what
differs: where the input bytes are, where the deadline comes from, what ends
the call early, and how the output leaves.
"""

from __future__ import annotations

import time
from typing import Optional

import pyarrow as pa

from ..core.context import StepContext
from ..core.errors import HeddleError
from ..plugin.v1 import invoke_pb2
from .dataplane import CallInput, DataPlane
from .proto_errors import error_to_proto, internal_error
from .runtime import PluginRuntime


class Lane:
    """What one transport contributes to a call. Subclasses override what differs from these defaults."""

    __slots__ = ()

    def read_input(self, data: DataPlane, header: invoke_pb2.InvokeHeader) -> CallInput:
        """The call's input (check 4 of §5.1). Raises INVALID_INPUT or a segment error."""
        raise NotImplementedError

    def timeout_s(self, header: invoke_pb2.InvokeHeader) -> Optional[float]:
        """Seconds the call may run, or None: by default the header's `timeout_ms` (0 = none)."""
        return header.timeout_ms / 1000.0 if header.timeout_ms else None

    def watch(self, ctx: StepContext) -> None:
        """Arranges for `ctx` to be cancelled when the transport ends the call early (default: nothing does)."""

    def rejected(self) -> None:
        """Called when checks 1-3 failed, before the error is answered (default: nothing to do)."""

    def put_output(
        self,
        data: DataPlane,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: str,
        call_input: CallInput,
    ) -> None:
        """Puts `output` into `response` (or keeps it for sending) while the input is still mapped.

        Raises INVALID_OUTPUT or SHM_UNAVAILABLE.
        """
        raise NotImplementedError


class InvokePipeline:
    """Runs InvokeHeaders through the runtime; thread-safe (one instance serves every lane and thread)."""

    def __init__(self, runtime: PluginRuntime, data: DataPlane) -> None:
        self.runtime = runtime
        self.data = data
        self.namespace = runtime.plugin.namespace

    def invoke(self, header: invoke_pb2.InvokeHeader, lane: Lane) -> invoke_pb2.InvokeResponse:
        """Runs one call and returns its response; never raises (every failure is the response's `error`)."""
        started = time.perf_counter_ns()
        response = invoke_pb2.InvokeResponse()
        call_input: Optional[CallInput] = None
        try:
            try:
                calls = self.runtime.prepare_chain(header)
            except HeddleError:
                lane.rejected()
                raise
            call_input = lane.read_input(self.data, header)
            ctx = StepContext(header.call_id, header.step, lane.timeout_s(header), self.runtime.logger)
            lane.watch(ctx)
            output = self.runtime.run_chain(calls, call_input.table, ctx)
            if output is not None:
                lane.put_output(self.data, output, header, response, calls[-1].definition.name, call_input)
        except HeddleError as exc:
            response = invoke_pb2.InvokeResponse(error=error_to_proto(exc, self.namespace))
        except Exception as exc:
            response = invoke_pb2.InvokeResponse(error=error_to_proto(internal_error(exc, header.step), self.namespace))
        finally:
            if call_input is not None:
                call_input.close()  # the output is encoded or written: the input mapping ends with the call
        response.stats.duration_us = (time.perf_counter_ns() - started) // 1000
        return response

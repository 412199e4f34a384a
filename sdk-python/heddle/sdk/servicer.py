"""The gRPC adapter: PluginService and ControllerService over the generated code.

Generated code (heddle.plugin.v1) stops here: this module translates protobuf
messages to the runtime's Python calls and HeddleErrors back to `Error`
messages. Everything that can be computed once (manifest, error-code numbers,
capability lists) is computed at construction.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator, Optional

import grpc
import pyarrow as pa

import heddle
from ..core import ipc
from ..core.command import ExecutionMode
from ..core.context import CANCELLED, StepContext
from ..core.errors import HeddleError, InvalidInputError
from ..core.step import ResourceBinding
from ..plugin.v1 import (
    command_pb2,
    controller_pb2,
    controller_pb2_grpc,
    data_pb2,
    handshake_pb2,
    invoke_pb2,
    manifest_pb2,
    plugin_pb2_grpc,
    resource_pb2,
)
from . import commands as cmd
from .dataplane import CallInput, DataPlane
from .invoke import InvokePipeline, Lane
from .options import ServeOptions
from .plugin import Plugin
from .proto_errors import error_to_proto, internal_error
from .runtime import PluginRuntime

SDK_NAME = "heddle-sdk"
SDK_LANGUAGE = "python"
CAPABILITIES = ("streaming", "cancel", "commands")
"""Capability flags this SDK always implements (protocol §2.4)."""
SHM_CAPABILITY = "shm"
"""Offered as well when HEDDLE_SHM_DIR is a writable directory (protocol §8)."""
FRAMES_CAPABILITY = "frames"
"""Offered as well when the frame lane listens (protocol §5.5)."""

_NO_DEADLINE_S = 1e8  # grpc reports "no deadline" as a deadline centuries away
_EXECUTION_MODES = {
    ExecutionMode.SYNC: manifest_pb2.EXECUTION_MODE_SYNC,
    ExecutionMode.ASYNC: manifest_pb2.EXECUTION_MODE_ASYNC,
    ExecutionMode.BOTH: manifest_pb2.EXECUTION_MODE_BOTH,
}
_COMMAND_STATES = {
    cmd.SUCCEEDED: command_pb2.COMMAND_STATE_SUCCEEDED,
    cmd.FAILED: command_pb2.COMMAND_STATE_FAILED,
    cmd.CANCELED: command_pb2.COMMAND_STATE_CANCELED,
}


def build_manifest(plugin: Plugin) -> manifest_pb2.Manifest:
    """The protobuf Manifest of a plugin (protocol §3), built once per process."""
    manifest = manifest_pb2.Manifest(namespace=plugin.namespace, version=plugin.version, description=plugin.description)
    for resource in plugin.resources.values():
        manifest.resources.add(name=resource.name, description=resource.description, config_schema_json=resource.schema.json_text)
    for step in plugin.steps.values():
        manifest.steps.add(
            name=step.name,
            description=step.description,
            config_schema_json=step.schema.json_text,
            resources=[_requirement(b) for b in step.bindings],
            input_schema=ipc.encode_schema(step.input_schema),
            output_schema=ipc.encode_schema(step.output_schema),
            takes_input=step.takes_input,
        )
    for handler in plugin.handlers.values():
        manifest.handlers.add(
            name=handler.name,
            description=handler.description,
            config_schema_json=handler.schema.json_text,
            resources=[_requirement(b) for b in handler.bindings],
        )
    for command in plugin.commands.values():
        manifest.commands.add(
            name=command.name,
            description=command.description,
            context_schema_json=command.schema.json_text,
            mode=_EXECUTION_MODES[command.mode],
            cluster_types=command.cluster_types,
            cluster_context_schema_json=command.cluster_schema.json_text if command.cluster_schema else "",
        )
    return manifest


def _requirement(binding: ResourceBinding) -> manifest_pb2.ResourceRequirement:
    return manifest_pb2.ResourceRequirement(binding=binding.binding, kind=binding.kind, optional=binding.optional)


def _timeout_s(context: grpc.ServicerContext, timeout_ms: int) -> Optional[float]:
    remaining = context.time_remaining()
    limit = remaining if remaining is not None and remaining < _NO_DEADLINE_S else None
    if timeout_ms:
        limit = timeout_ms / 1000.0 if limit is None else min(limit, timeout_ms / 1000.0)
    return limit


def _watch_rpc(context: grpc.ServicerContext, ctx: StepContext) -> None:
    """Marks `ctx` cancelled when the RPC ends early (host cancelled it or its deadline passed)."""
    context.add_callback(lambda: ctx.cancelled or ctx.cancel(CANCELLED))


class _UnaryLane(Lane):
    """Invoke: inline or shm input; inline or shm output; the gRPC deadline and RPC end cancel the call."""

    __slots__ = ("context",)

    def __init__(self, context: grpc.ServicerContext) -> None:
        self.context = context

    def read_input(self, data: DataPlane, header: invoke_pb2.InvokeHeader) -> CallInput:
        return data.unary_input(header)

    def timeout_s(self, header: invoke_pb2.InvokeHeader) -> Optional[float]:
        return _timeout_s(self.context, header.timeout_ms)

    def watch(self, ctx: StepContext) -> None:
        _watch_rpc(self.context, ctx)

    def put_output(
        self,
        data: DataPlane,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: str,
        call_input: CallInput,
    ) -> None:
        data.unary_output(output, header, response, producer=producer, source=call_input)


class _StreamLane(_UnaryLane):
    """InvokeStream: input from the request's chunks (or inline/shm); output as chunks kept for the servicer to send."""

    __slots__ = ("requests", "chunks")

    def __init__(self, context: grpc.ServicerContext, requests: Iterator[invoke_pb2.InvokeStreamRequest]) -> None:
        super().__init__(context)
        self.requests = requests
        self.chunks: Iterator[data_pb2.TableChunk] = iter(())

    def read_input(self, data: DataPlane, header: invoke_pb2.InvokeHeader) -> CallInput:
        return data.streamed_input(header, self.requests)

    def rejected(self) -> None:
        for _ in self.requests:  # let the host finish sending before it reads our answer
            pass

    def put_output(
        self,
        data: DataPlane,
        output: pa.Table,
        header: invoke_pb2.InvokeHeader,
        response: invoke_pb2.InvokeResponse,
        producer: str,
        call_input: CallInput,
    ) -> None:
        self.chunks = data.stream_output(output, header, response, producer=producer, source=call_input)


class PluginServicer(plugin_pb2_grpc.PluginServiceServicer):
    """PluginService: handshake, manifest, resources, Invoke/InvokeStream, RunCommand."""

    def __init__(
        self,
        pipeline: InvokePipeline,
        protocol_version: int,
        supported_versions: "tuple[int, ...]",
        options: ServeOptions,
        frames: bool = False,
    ) -> None:
        """`frames`: the frame lane listens, so `frames` is offered in the handshake."""
        runtime = pipeline.runtime
        self.pipeline = pipeline
        self.runtime = runtime
        self.data = pipeline.data
        self.capabilities = (
            CAPABILITIES + ((SHM_CAPABILITY,) if self.data.shm_available else ()) + ((FRAMES_CAPABILITY,) if frames else ())
        )
        self.commands = cmd.CommandRunner(runtime)
        self.protocol_version = protocol_version
        self.supported_versions = supported_versions
        self.options = options
        self.namespace = runtime.plugin.namespace
        self._describe = manifest_pb2.DescribeResponse(manifest=build_manifest(runtime.plugin))

    # -- handshake and manifest -----------------------------------------------------------

    def Handshake(self, request: handshake_pb2.HandshakeRequest, context: grpc.ServicerContext) -> Any:
        """Picks the protocol version (FAILED_PRECONDITION with PROTOCOL_MISMATCH when none is shared) and the shared capabilities."""
        offered = list(request.protocol_versions)
        common = [v for v in offered if v in self.supported_versions]
        if offered and not common:
            context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"PROTOCOL_MISMATCH: the host speaks protocol versions {offered}, this plugin "
                f"(heddle-sdk python {heddle.__version__}) speaks {list(self.supported_versions)}; upgrade one of them",
            )
        version = self.protocol_version if (not offered or self.protocol_version in common) else max(common)
        return handshake_pb2.HandshakeResponse(
            protocol_version=version,
            sdk_name=SDK_NAME,
            sdk_language=SDK_LANGUAGE,
            sdk_version=heddle.__version__,
            capabilities=[c for c in self.capabilities if c in request.capabilities],
            pid=os.getpid(),
        )

    def Describe(self, request: Any, context: grpc.ServicerContext) -> Any:
        """Returns the manifest built at start-up."""
        return self._describe

    # -- resources ------------------------------------------------------------------------

    def OpenResource(self, request: resource_pb2.OpenResourceRequest, context: grpc.ServicerContext) -> Any:
        """Opens a resource instance; errors come back in the response (UNKNOWN_RESOURCE, INVALID_CONFIG, RESOURCE_INIT_FAILED)."""
        try:
            instance_id = self.runtime.open_resource(request.resource, request.config_json)
        except HeddleError as exc:
            return resource_pb2.OpenResourceResponse(error=error_to_proto(exc, self.namespace))
        except Exception as exc:
            return resource_pb2.OpenResourceResponse(error=error_to_proto(internal_error(exc, request.resource), self.namespace))
        return resource_pb2.OpenResourceResponse(instance_id=instance_id)

    def CloseResource(self, request: resource_pb2.CloseResourceRequest, context: grpc.ServicerContext) -> Any:
        """Closes an instance; RESOURCE_NOT_OPEN in the response for an unknown id."""
        try:
            self.runtime.close_resource(request.instance_id)
        except HeddleError as exc:
            return resource_pb2.CloseResourceResponse(error=error_to_proto(exc, self.namespace))
        return resource_pb2.CloseResourceResponse()

    # -- calls ----------------------------------------------------------------------------

    def Invoke(self, request: invoke_pb2.InvokeRequest, context: grpc.ServicerContext) -> Any:
        """Unary call (protocol §5.1, §8): inline or shm input and output; every failure is an Error in the response."""
        return self.pipeline.invoke(request.header, _UnaryLane(context))

    def InvokeStream(self, request_iterator: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        """Streaming call (§5.2): header, input chunks, half-close; answers output chunks then one result."""
        first = next(request_iterator, None)
        if first is None or first.WhichOneof("msg") != "header":
            error = InvalidInputError("InvokeStream must start with a header message, then input chunks")
            yield invoke_pb2.InvokeStreamResponse(result=invoke_pb2.InvokeResponse(error=error_to_proto(error, self.namespace)))
            return
        lane = _StreamLane(context, request_iterator)
        response = self.pipeline.invoke(first.header, lane)
        for chunk in lane.chunks:
            yield invoke_pb2.InvokeStreamResponse(chunk=chunk)
        yield invoke_pb2.InvokeStreamResponse(result=response)

    # -- commands -------------------------------------------------------------------------

    def RunCommand(self, request: command_pb2.RunCommandRequest, context: grpc.ServicerContext) -> Iterator[Any]:
        """Heimdall command (§6): lines and result chunks as they come, then exactly one status."""
        try:
            definition, ctx, events = self.commands.prepare(
                request.call_id,
                request.command,
                request.context_json,
                request.cluster_json,
                request.job_id,
                request.resources,
                _timeout_s(context, 0),
            )
        except HeddleError as exc:
            yield _status(cmd.Status(cmd.FAILED, exc, cmd.EXIT_FAILED), self.namespace)
            return
        _watch_rpc(context, ctx)
        for event in self.commands.run(definition, ctx, events):
            if isinstance(event, cmd.Line):
                if event.stream == "stdout":
                    yield command_pb2.RunCommandResponse(stdout_line=event.text)
                else:
                    yield command_pb2.RunCommandResponse(stderr_line=event.text)
            elif isinstance(event, cmd.Result):
                for chunk in ipc.encode_chunks(event.table, self.options.max_chunk_bytes):
                    yield command_pb2.RunCommandResponse(result_chunk=data_pb2.TableChunk(data=chunk))
            else:
                yield _status(event, self.namespace)


def _status(status: "cmd.Status", namespace: str) -> command_pb2.RunCommandResponse:
    proto = command_pb2.CommandStatus(state=_COMMAND_STATES[status.state], exit_code=status.exit_code)
    if status.error is not None:
        proto.error.CopyFrom(error_to_proto(status.error, namespace))
    return command_pb2.RunCommandResponse(status=proto)


class ControllerServicer(controller_pb2_grpc.ControllerServiceServicer):
    """ControllerService: Cancel a running call, Shutdown the process, ReleaseSegments."""

    def __init__(self, runtime: PluginRuntime, request_stop: Callable[[float], None], default_grace_s: float, data: DataPlane) -> None:
        self.runtime = runtime
        self.data = data
        self.request_stop = request_stop
        self.default_grace_s = default_grace_s

    def Cancel(self, request: controller_pb2.CancelRequest, context: grpc.ServicerContext) -> Any:
        """Marks a running call cancelled; `found` is false when it is not running."""
        found = self.runtime.cancel(request.call_id, CANCELLED)
        if found:
            self.runtime.logger.debug("call cancelled", call_id=request.call_id, reason=request.reason)
        return controller_pb2.CancelResponse(found=found)

    def Shutdown(self, request: controller_pb2.ShutdownRequest, context: grpc.ServicerContext) -> Any:
        """Asks the process to stop (grace_ms, default 2 s); the reply is sent before it exits."""
        grace_s = request.grace_ms / 1000.0 if request.grace_ms else self.default_grace_s
        self.request_stop(grace_s)  # only signals the main thread: this reply still goes out
        return controller_pb2.ShutdownResponse()

    def ReleaseSegments(self, request: controller_pb2.ReleaseSegmentsRequest, context: grpc.ServicerContext) -> Any:
        """Forgets segments this process produced that the host freed (it unlinked the files); unknown ids are ignored."""
        known = self.data.release(list(request.segment_ids))
        self.runtime.logger.debug("segments released", requested=len(request.segment_ids), known=known)
        return controller_pb2.ReleaseSegmentsResponse()


def add_services(server: grpc.Server, plugin_servicer: PluginServicer, controller: ControllerServicer) -> None:
    """Registers PluginService and ControllerService on `server`."""
    plugin_pb2_grpc.add_PluginServiceServicer_to_server(plugin_servicer, server)
    controller_pb2_grpc.add_ControllerServiceServicer_to_server(controller, server)

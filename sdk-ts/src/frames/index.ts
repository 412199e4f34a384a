// The frame lane's wire format (docs/protocol.md §5.5), shared by the SDK's
// frame server and the host's frame client: `@heddle/sdk/frames`.
export { FrameProtocolError, KIND_CALL, KIND_RESULT, PREFACE, PREFIX_BYTES, type FramePrefix, decodeFramePrefix, encodeFrameHead, framesSocketPath } from "./codec.js";
export { type Frame, FrameReader } from "./reader.js";
export { writeFrame } from "./writer.js";

"use strict";
// Loads the addon built by `make` (node-gyp). Every function throws an Error
// whose `code` is a Heddle ErrorCode name: SEGMENT_NOT_FOUND (no such file),
// SEGMENT_INVALID (file shorter than the handle says), SHM_UNAVAILABLE (mmap failed), USAGE.
const path = require("node:path");

let addon;
try {
  addon = require(path.join(__dirname, "..", "build", "Release", "heddle_native.node"));
} catch (err) {
  const e = new Error(`the @heddle/native addon is not built (${err.message}); run 'make' at the repo root`);
  e.code = "SHM_UNAVAILABLE";
  throw e;
}

/** Maps [offset, offset+length) of the file at `path` read-only; no byte is copied. */
exports.mapReadOnly = (file, offset, length) => addon.mapReadOnly(file, offset, length);

/** Detaches a mapping's ArrayBuffer now (its views become empty); the mapping is unmapped without waiting for GC. */
exports.release = (arrayBuffer) => addon.release(arrayBuffer);

/** Creates `path` (must not exist) with `length` bytes and maps it writable and shared. */
exports.createSegment = (file, length) => addon.createSegment(file, length);

let inprocessAddon;
/**
 * The in-process plugin addon (heddle_inprocess.node): dlopen a native
 * plugin (include/heddle_plugin.h) and call it with Arrow C Streams.
 * Loaded on first use; throws SHM_UNAVAILABLE when it is not built.
 */
exports.inprocess = () => {
  if (!inprocessAddon) {
    try {
      inprocessAddon = require(path.join(__dirname, "..", "build", "Release", "heddle_inprocess.node"));
    } catch (err) {
      const e = new Error(`the @heddle/native in-process addon is not built (${err.message}); run 'cd native && npx node-gyp rebuild'`);
      e.code = "SHM_UNAVAILABLE";
      throw e;
    }
  }
  return inprocessAddon;
};

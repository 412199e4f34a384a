// Error codes match errors.proto; anything thrown becomes a coded error.
import { describe, expect, it } from "vitest";
import { CancelledError, HeddleError, InvalidConfigError, errorCodeNumber, isErrorCodeName, toHeddleError } from "../../src/core/errors.js";
import { ErrorCode } from "../../src/gen/heddle/plugin/v1/errors.js";
import { toProtoError } from "../../src/sdk/proto-error.js";

describe("errors", () => {
  it("maps code names to the proto numbers", () => {
    expect(errorCodeNumber("INVALID_CONFIG")).toBe(ErrorCode.ERROR_CODE_INVALID_CONFIG);
    expect(errorCodeNumber("MISSING_RESOURCE")).toBe(14);
    expect(isErrorCodeName("STEP_FAILED")).toBe(true);
    expect(isErrorCodeName("UNSPECIFIED")).toBe(false);
    expect(isErrorCodeName("NOPE")).toBe(false);
  });

  it("refuses unknown codes", () => {
    expect(() => new HeddleError("NOPE" as never, "x")).toThrow(/unknown Heddle error code "NOPE"/);
  });

  it("keeps codes, fields and names on subclasses", () => {
    const err = new InvalidConfigError("bad", "/a");
    expect(err).toBeInstanceOf(HeddleError);
    expect(err).toMatchObject({ code: "INVALID_CONFIG", field: "/a", name: "InvalidConfigError" });
    expect(new CancelledError().code).toBe("CANCELLED");
  });

  it("wraps anything thrown, keeping the original stack", () => {
    const original = new TypeError("boom");
    const wrapped = toHeddleError(original, "STEP_FAILED");
    expect(wrapped).toMatchObject({ code: "STEP_FAILED", message: "boom" });
    expect(wrapped.stack).toBe(original.stack);
    expect(toHeddleError("just text", "COMMAND_FAILED").message).toBe("non-Error value thrown: just text");
    expect(toHeddleError({ a: 1 }, "STEP_FAILED").message).toContain('{"a":1}');
  });

  it("builds proto errors, with the stack only for plugin code", () => {
    const fromPlugin = toProtoError(new Error("x"), "STEP_FAILED", "s", "plugin-code");
    expect(fromPlugin).toMatchObject({ code: ErrorCode.ERROR_CODE_STEP_FAILED, message: "x", component: "s", field: "" });
    expect(fromPlugin.stack).toContain("Error: x");
    const fromChecks = toProtoError(new InvalidConfigError("bad", "/f"), "INTERNAL", "s", "checks");
    expect(fromChecks).toMatchObject({ code: ErrorCode.ERROR_CODE_INVALID_CONFIG, field: "/f", stack: "" });
  });
});

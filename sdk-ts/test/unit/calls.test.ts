// The call registry behind Cancel, deadlines and shutdown draining.
import { describe, expect, it } from "vitest";
import { CancelledError, DeadlineExceededError } from "../../src/core/errors.js";
import { CallRegistry } from "../../src/sdk/calls.js";

describe("CallRegistry", () => {
  it("cancels running calls by id and reports unknown ids", async () => {
    const calls = new CallRegistry();
    const control = calls.begin("c1", undefined, "step");
    expect(calls.cancel("other")).toBe(false);
    expect(calls.cancel("c1", "user pressed stop")).toBe(true);
    expect(control.signal.aborted).toBe(true);
    expect(control.signal.reason).toBeInstanceOf(CancelledError);
    expect((await control.aborted).message).toContain("user pressed stop");
    calls.end(control);
    expect(calls.cancel("c1")).toBe(false);
    expect(calls.size).toBe(0);
  });

  it("aborts with DEADLINE_EXCEEDED when the deadline passes", async () => {
    const calls = new CallRegistry();
    const control = calls.begin("c2", Date.now() + 5, "step");
    const reason = await control.aborted;
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect(control.deadline).toBeInstanceOf(Date);
    calls.end(control);
  });

  it("waits for running calls to end, or gives up after the timeout", async () => {
    const calls = new CallRegistry();
    const control = calls.begin("c3", undefined, "step");
    expect(await calls.waitIdle(1)).toBe(false);
    const idle = calls.waitIdle(60_000);
    calls.end(control);
    calls.end(control); // ending twice is harmless
    expect(await idle).toBe(true);
    expect(calls.size).toBe(0);
  });

  it("aborts every call on shutdown", () => {
    const calls = new CallRegistry();
    const a = calls.begin("a", undefined, "s");
    const b = calls.begin("a", undefined, "s");
    calls.abortAll("shutdown");
    expect(a.signal.reason.message).toContain("shutting down");
    expect(b.signal.aborted).toBe(true);
  });
});

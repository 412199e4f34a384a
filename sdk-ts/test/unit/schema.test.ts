// Config schemas: JSON Schema generation for the manifest and validation
// errors that name the offending field with a JSON pointer.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidConfigError, PluginDefinitionError } from "../../src/core/errors.js";
import { ConfigSchema, jsonPointer } from "../../src/core/schema.js";

const invalid = (schema: ConfigSchema<unknown>, json: string): InvalidConfigError => {
  try {
    schema.parseJson(json);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return err as InvalidConfigError;
  }
  throw new Error(`expected ${json} to be rejected`);
};

describe("JSON Schema generation", () => {
  it("makes an object schema whose defaults are not required and unknown keys are rejected", () => {
    const schema = new ConfigSchema(z.object({ name: z.string(), count: z.int().min(1), mode: z.enum(["a", "b"]).default("a") }), 'step "s"');
    expect(schema.jsonSchema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      required: ["name", "count"],
      additionalProperties: false,
      properties: { name: { type: "string" }, count: { type: "integer", minimum: 1 }, mode: { enum: ["a", "b"], default: "a" } },
    });
    expect(JSON.parse(schema.jsonText)).toEqual(schema.jsonSchema);
  });

  it("makes nested objects strict too, inside optionals, arrays and records", () => {
    const schema = new ConfigSchema(
      z.object({ inner: z.object({ x: z.number() }).optional(), list: z.array(z.object({ y: z.string() })), map: z.record(z.string(), z.object({ z: z.boolean() })) }),
      "c",
    );
    const props = schema.jsonSchema.properties as Record<string, Record<string, any>>;
    expect(props.inner!.additionalProperties).toBe(false);
    expect(props.list!.items.additionalProperties).toBe(false);
    expect(props.map!.additionalProperties.additionalProperties).toBe(false);
  });

  it("keeps descriptions and honours an explicit .loose()", () => {
    const schema = new ConfigSchema(z.object({ key: z.string().describe("the key"), extra: z.object({}).loose() }).describe("cfg"), "c");
    expect(schema.jsonSchema.description).toBe("cfg");
    expect((schema.jsonSchema.properties as any).key.description).toBe("the key");
    expect(schema.parse({ key: "k", extra: { anything: 1 } })).toEqual({ key: "k", extra: { anything: 1 } });
  });

  it("accepts only {} when no schema is given", () => {
    const schema = new ConfigSchema(undefined, "c");
    expect(schema.jsonSchema).toMatchObject({ type: "object", properties: {}, additionalProperties: false });
    expect(schema.parseJson("")).toEqual({});
    expect(schema.parseJson("{}")).toEqual({});
    expect(invalid(schema, '{"a":1}').field).toBe("/a");
  });

  it("refuses non-object and non-JSON schemas at registration", () => {
    expect(() => new ConfigSchema(z.string() as never, 'step "s"')).toThrow(PluginDefinitionError);
    expect(() => new ConfigSchema(z.object({ when: z.date() }), 'step "s"')).toThrow(/cannot be expressed as JSON Schema/);
    try {
      new ConfigSchema(z.array(z.string()) as never, 'step "s"');
    } catch (err) {
      expect((err as PluginDefinitionError).code).toBe("MANIFEST_INVALID");
      expect((err as Error).message).toContain('step "s"');
    }
  });
});

describe("validation errors", () => {
  const schema = new ConfigSchema(
    z.object({ name: z.string(), count: z.int().min(1), inner: z.object({ x: z.number() }).optional(), items: z.array(z.object({ label: z.string() })).default([]) }),
    'step "strict"',
  );

  it("names a missing required field", () => {
    const err = invalid(schema, '{"count": 1}');
    expect(err.code).toBe("INVALID_CONFIG");
    expect(err.field).toBe("/name");
    expect(err.message).toBe('invalid config for step "strict": field "name" is required (expected string)');
  });

  it("names a wrong type and a value out of range", () => {
    expect(invalid(schema, '{"name": 5, "count": 1}')).toMatchObject({ field: "/name" });
    const range = invalid(schema, '{"name": "n", "count": 0}');
    expect(range.field).toBe("/count");
    expect(range.message).toContain('field "count"');
    expect(range.message).toContain(">=1");
  });

  it("names an unknown field and lists the allowed ones", () => {
    const err = invalid(schema, '{"name": "n", "count": 1, "colour": "red"}');
    expect(err.field).toBe("/colour");
    expect(err.message).toContain('unknown field "colour"');
    expect(err.message).toContain("allowed fields: name, count, inner, items");
  });

  it("points into nested objects and arrays", () => {
    expect(invalid(schema, '{"name":"n","count":1,"inner":{"x":"1"}}').field).toBe("/inner/x");
    expect(invalid(schema, '{"name":"n","count":1,"inner":{"x":1,"q":2}}').field).toBe("/inner/q");
    const item = invalid(schema, '{"name":"n","count":1,"items":[{"label":"a"},{}]}');
    expect(item.field).toBe("/items/1/label");
    expect(item.message).toContain('field "items[1].label" is required');
  });

  it("rejects JSON that is not an object, and text that is not JSON", () => {
    expect(invalid(schema, "[1]")).toMatchObject({ field: "", message: 'invalid config for step "strict": expected a JSON object, got an array' });
    expect(invalid(schema, "null").message).toContain("got null");
    expect(invalid(schema, "{oops").message).toContain("not valid JSON");
  });

  it("returns parsed values with defaults applied", () => {
    expect(schema.parseJson('{"name":"n","count":2}')).toEqual({ name: "n", count: 2, items: [] });
  });

  it("escapes JSON pointer segments", () => {
    expect(jsonPointer(["a/b", "c~d", 0])).toBe("/a~1b/c~0d/0");
  });
});

// A small JSON Schema (2020-12) checker for the keywords our package schema
// uses. Written here rather than adding ajv because the host package may not
// grow dependencies, and because the error texts are the product: each names
// the JSON pointer and says what was expected.

/** One violation: where (JSON pointer, "" = the document) and what is wrong. */
export interface SchemaProblem {
  pointer: string;
  message: string;
}

type Schema = Record<string, unknown>;

/**
 * Checks `value` against `schema`. Supported keywords: type, enum, const,
 * required, properties, additionalProperties, items, minItems, minLength,
 * pattern, minimum, plus `errorMessage` (as in ajv-errors) to word a pattern
 * failure. Any other keyword is ignored (so the schema must not rely on one). Returns every problem found, in document order.
 */
export function checkJsonSchema(value: unknown, schema: Schema, pointer = ""): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const add = (message: string, at = pointer): void => {
    problems.push({ pointer: at, message });
  };
  if (schema.type !== undefined && !hasType(value, schema.type as string | string[])) {
    add(`must be ${article(schema.type as string | string[])} (got ${describe(value)})`);
    return problems;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) {
    add(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")} (got ${describe(value)})`);
  }
  if (schema.const !== undefined && schema.const !== value) add(`must be ${JSON.stringify(schema.const)}`);
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) add(schema.minLength === 1 ? "must not be empty" : `must be at least ${schema.minLength} characters`);
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) {
      add(typeof schema.errorMessage === "string" ? `${schema.errorMessage} (got ${JSON.stringify(value)})` : `${JSON.stringify(value)} does not match ${schema.pattern}`);
    }
  }
  if (typeof value === "number" && typeof schema.minimum === "number" && value < schema.minimum) add(`must be at least ${schema.minimum} (got ${value})`);
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) add(`must have at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`);
    if (schema.items && typeof schema.items === "object") {
      value.forEach((item, i) => problems.push(...checkJsonSchema(item, schema.items as Schema, `${pointer}/${i}`)));
    }
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (obj[key] === undefined) add("is required", `${pointer}/${escape(key)}`);
    }
    for (const [key, v] of Object.entries(obj)) {
      const at = `${pointer}/${escape(key)}`;
      if (properties[key]) problems.push(...checkJsonSchema(v, properties[key]!, at));
      else if (schema.additionalProperties === false) add(`is not a known field (known: ${Object.keys(properties).join(", ")})`, at);
      else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
        problems.push(...checkJsonSchema(v, schema.additionalProperties as Schema, at));
      }
    }
  }
  return problems;
}

function hasType(value: unknown, type: string | string[]): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case "object":
        return value !== null && typeof value === "object" && !Array.isArray(value);
      case "array":
        return Array.isArray(value);
      case "integer":
        return Number.isInteger(value);
      case "null":
        return value === null;
      default:
        return typeof value === t;
    }
  });
}

function article(type: string | string[]): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => (t === "array" || t === "object" || t === "integer" ? `an ${t}` : `a ${t}`)).join(" or ");
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function escape(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

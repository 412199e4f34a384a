// Config schemas: plugin code describes configs with zod 4; the SDK turns them
// into the manifest's JSON Schema (draft 2020-12) once at registration, and
// validates each incoming config with the same compiled schema. Objects reject
// unknown properties unless the author opted out with `.loose()`/`.catchall()`,
// because a misspelt option silently ignored is the worst kind of bug.
import { z } from "zod";
import { InvalidConfigError, PluginDefinitionError } from "./errors.js";

/** A compiled config schema: its JSON Schema text for the manifest, and a validator. */
export class ConfigSchema<T = Record<string, unknown>> {
  /** The zod schema actually used (objects made strict). */
  readonly zod: z.ZodType<T>;
  /** JSON Schema of the accepted *input* (fields with defaults are not required). */
  readonly jsonSchema: Record<string, unknown>;
  /** `jsonSchema` as JSON text, as the manifest carries it. */
  readonly jsonText: string;
  /** Human label used in error messages, e.g. `step "hash"`. */
  readonly owner: string;

  /**
   * Compiles `schema` (default: an empty object accepting only `{}`).
   * Throws PluginDefinitionError when it is not an object schema or cannot be
   * expressed as JSON Schema (e.g. z.date(), z.bigint()).
   */
  constructor(schema: z.ZodType<T> | undefined, owner: string) {
    this.owner = owner;
    this.zod = strictObjects(schema ?? z.object({})) as z.ZodType<T>;
    let json: Record<string, unknown>;
    try {
      json = z.toJSONSchema(this.zod, { io: "input", unrepresentable: "throw" }) as Record<string, unknown>;
    } catch (err) {
      throw new PluginDefinitionError(`the config schema of ${owner} cannot be expressed as JSON Schema (${(err as Error).message}): use JSON types only (string, number, boolean, arrays, objects, enums)`);
    }
    if (json.type !== "object") {
      throw new PluginDefinitionError(`the config schema of ${owner} must be a z.object(...), got JSON Schema type ${JSON.stringify(json.type)}`);
    }
    this.jsonSchema = json;
    this.jsonText = JSON.stringify(json);
  }

  /** Names of the top-level properties (used to detect clashes with injected keys). */
  get topLevelProperties(): string[] {
    const props = this.jsonSchema.properties;
    return props && typeof props === "object" ? Object.keys(props) : [];
  }

  /**
   * Parses config JSON text (empty text means `{}`) and validates it.
   * Throws InvalidConfigError with `field` = JSON pointer of the first problem.
   */
  parseJson(text: string): T {
    let value: unknown = {};
    if (text.trim() !== "") {
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InvalidConfigError(`invalid config for ${this.owner}: not valid JSON (${(err as Error).message}): send a JSON object`, "");
      }
    }
    return this.parse(value);
  }

  /** Validates an already parsed value. Throws InvalidConfigError naming the field. */
  parse(value: unknown): T {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InvalidConfigError(`invalid config for ${this.owner}: expected a JSON object, got ${describeJsonType(value)}`, "");
    }
    const result = this.zod.safeParse(value);
    if (result.success) return result.data;
    throw this.describeIssue(result.error.issues[0]!, value);
  }

  private describeIssue(issue: z.core.$ZodIssue, input: unknown): InvalidConfigError {
    const prefix = `invalid config for ${this.owner}`;
    if (issue.code === "unrecognized_keys") {
      const path = [...issue.path, issue.keys[0]!];
      const allowed = allowedKeysAt(this.jsonSchema, issue.path);
      const hint = allowed.length > 0 ? `allowed fields: ${allowed.join(", ")}` : "this object takes no fields";
      const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((k) => `"${k}"`).join(", ")})` : "";
      return new InvalidConfigError(`${prefix}: unknown field "${dotted(path)}"${more}: remove it or fix its spelling; ${hint}`, jsonPointer(path));
    }
    const path = issue.path;
    const pointer = jsonPointer(path);
    const name = path.length === 0 ? "config" : `field "${dotted(path)}"`;
    if (issue.code === "invalid_type" && valueAt(input, path) === undefined) {
      return new InvalidConfigError(`${prefix}: ${name} is required (expected ${issue.expected})`, pointer);
    }
    return new InvalidConfigError(`${prefix}: ${name}: ${issue.message}`, pointer);
  }
}

/**
 * Returns a copy of `schema` where every z.object without an explicit
 * catchall (`.loose()`, `.catchall()`) rejects unknown keys, recursing through
 * optional/nullable/default wrappers, arrays, unions, records and tuples.
 * Descriptions and checks are kept.
 */
export function strictObjects(schema: z.ZodType): z.ZodType {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const clone = (next: Record<string, unknown>) => schema.clone(next as never, { parent: true });
  const sub = (value: unknown) => strictObjects(value as z.ZodType);
  switch (def.type) {
    case "object": {
      const shape = def.shape as Record<string, z.ZodType>;
      const strictShape = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, sub(v)]));
      return clone({ ...def, shape: strictShape, catchall: def.catchall ?? z.never() });
    }
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
    case "catch":
      return clone({ ...def, innerType: sub(def.innerType) });
    case "array":
      return clone({ ...def, element: sub(def.element) });
    case "union":
      return clone({ ...def, options: (def.options as z.ZodType[]).map(sub) });
    case "record":
      return clone({ ...def, valueType: sub(def.valueType) });
    case "tuple":
      return clone({ ...def, items: (def.items as z.ZodType[]).map(sub), rest: def.rest ? sub(def.rest) : def.rest });
    default:
      return schema;
  }
}

/** JSON pointer (RFC 6901) of a path: `["a", 0, "b/c"]` → `/a/0/b~1c`. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((part) => "/" + String(part).replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

function dotted(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) text += typeof part === "number" ? `[${part}]` : text === "" ? String(part) : `.${String(part)}`;
  return text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function allowedKeysAt(schema: Record<string, unknown>, path: readonly PropertyKey[]): string[] {
  let node: Record<string, unknown> | undefined = schema;
  for (const part of path) {
    if (!node) return [];
    node = (typeof part === "number" ? node.items : (node.properties as Record<string, unknown> | undefined)?.[String(part)]) as
      | Record<string, unknown>
      | undefined;
  }
  const props = node?.properties;
  return props && typeof props === "object" ? Object.keys(props) : [];
}

function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace,
 * `undefined` members dropped. Signatures are made over these bytes so the
 * signer and every verifier hash exactly the same text whatever order a JSON
 * library wrote the keys in. The host's package client has a twin of this
 * file (host/src/packages/canonical-json.ts); both must stay byte-identical in
 * behaviour, which the publish→install tests check end to end.
 *
 * Throws a TypeError for values JSON cannot represent (functions, bigint,
 * non-finite numbers), because silently dropping them would sign a different
 * document from the one stored.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`cannot sign the non-finite number ${value}`);
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`cannot sign a value of type ${typeof value}`);
  }
}

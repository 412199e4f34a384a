import { RegistryError } from "../errors.js";
import { keyIdOf, verifyPayload } from "../crypto/keys.js";
import { keyAdditionPayload } from "../crypto/signed-payloads.js";
import { loadNamespace, namespaceKey } from "../model/documents.js";
import type { NamespaceRecord } from "../model/index-types.js";
import { checkNamespace } from "../model/names.js";
import { bindKey } from "../model/publish-version.js";
import { requireRead, requireScope } from "../server/auth.js";
import { readJsonBody, requireString, sendJson } from "../server/http-io.js";
import type { Route } from "../server/router.js";

/**
 * Namespaces and their publisher keys. Clients read the keys to check that a
 * release was signed by a key of its namespace. A key is added by an admin
 * token, or by a `publish:<ns>/*` token together with a signature by one of
 * the namespace's existing keys (so a leaked token alone cannot add a key).
 */
export const namespaceRoutes: Route[] = [
  {
    method: "GET",
    pattern: "/v1/namespaces/:namespace",
    async handle({ req, res, params, ctx }) {
      await requireRead(req, ctx);
      checkNamespace(params.namespace!);
      const record = await loadNamespace(ctx.storage, params.namespace!);
      if (!record) throw new RegistryError("NAMESPACE_NOT_FOUND", `the namespace ${params.namespace} does not exist yet; it is claimed by its first publish`);
      sendJson(req, res, 200, record, { "cache-control": "no-cache" });
    },
  },
  {
    method: "POST",
    pattern: "/v1/namespaces/:namespace/keys",
    async handle({ req, res, params, ctx }) {
      const namespace = params.namespace!;
      checkNamespace(namespace);
      const token = await requireScope(req, ctx, "add-key", namespace);
      const body = await readJsonBody(req, ctx.options.maxJsonBytes);
      const publicKey = requireString(body, "publicKey");
      if (Buffer.from(publicKey, "base64url").length !== 32) throw new RegistryError("REGISTRY_BAD_REQUEST", '"publicKey" must be a raw Ed25519 public key in base64url');
      const keyId = keyIdOf(publicKey);
      const proof = (body.proof ?? null) as { keyId?: string; signature?: string } | null;
      const isAdmin = token.scopes.includes("admin");
      const record = await ctx.storage.updateDocument<NamespaceRecord>(namespaceKey(namespace), (current) => {
        const keys = current?.keys ?? [];
        if (keys.some((k) => k.keyId === keyId)) return undefined;
        if (keys.length > 0 && !isAdmin) {
          const signer = keys.find((k) => k.keyId === proof?.keyId);
          if (!signer || !proof?.signature || !verifyPayload(signer.publicKey, keyAdditionPayload(namespace, publicKey), proof.signature)) {
            throw new RegistryError(
              "SIGNATURE_UNKNOWN_KEY",
              `adding a key to ${namespace} needs a proof signed by one of its keys (${keys.map((k) => k.keyId).join(", ")})`,
              "run `heddle-host key add` with --key set to an existing key of the namespace",
            );
          }
        }
        const now = new Date().toISOString();
        return { namespace, keys: [...keys, bindKey(ctx, namespace, publicKey, keyId, now)], createdAt: current?.createdAt ?? now };
      });
      sendJson(req, res, 201, record);
    },
  },
];

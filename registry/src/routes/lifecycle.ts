import semver from "semver";
import { RegistryError } from "../errors.js";
import { loadPackage, packageKey, servedEntry, servedIndex, versionOf } from "../model/documents.js";
import type { PackageIndex, VersionEntry } from "../model/index-types.js";
import { checkDistTag, checkVersion, packageName } from "../model/names.js";
import { requireScope } from "../server/auth.js";
import type { RegistryContext } from "../server/context.js";
import { readJsonBody, requireString, sendJson } from "../server/http-io.js";
import type { Route } from "../server/router.js";

/**
 * What may change after publish: the yank mark (a yanked version is not
 * picked by ranges, but stays installable when a lock file pins it), the
 * deprecation message, and dist-tags. None of these touch a signed field.
 */
export const lifecycleRoutes: Route[] = [
  {
    method: "POST",
    pattern: "/v1/packages/:namespace/:name/versions/:version/yank",
    async handle({ req, res, params, ctx }) {
      const { name, version } = target(params);
      await requireScope(req, ctx, "yank", name);
      const body = await readJsonBody(req, ctx.options.maxJsonBytes);
      const reason = typeof body.reason === "string" ? body.reason : "";
      const entry = await updateVersion(ctx, name, version, (e) => ({ ...e, yanked: { reason, at: new Date().toISOString() } }));
      sendJson(req, res, 200, servedEntry(entry));
    },
  },
  {
    method: "DELETE",
    pattern: "/v1/packages/:namespace/:name/versions/:version/yank",
    async handle({ req, res, params, ctx }) {
      const { name, version } = target(params);
      await requireScope(req, ctx, "yank", name);
      const entry = await updateVersion(ctx, name, version, (e) => ({ ...e, yanked: null }));
      // an un-yanked stable release newer than latest was latest before its yank: give it back
      await updateIndex(ctx, name, (current) => {
        const latest = current.distTags.latest;
        if (semver.prerelease(version) || (latest && semver.gte(latest, version))) return current;
        return { ...current, distTags: { ...current.distTags, latest: version } };
      });
      sendJson(req, res, 200, servedEntry(entry));
    },
  },
  {
    method: "PUT",
    pattern: "/v1/packages/:namespace/:name/versions/:version/deprecation",
    async handle({ req, res, params, ctx }) {
      const { name, version } = target(params);
      await requireScope(req, ctx, "yank", name);
      const message = requireString(await readJsonBody(req, ctx.options.maxJsonBytes), "message");
      const entry = await updateVersion(ctx, name, version, (e) => ({ ...e, deprecated: message }));
      sendJson(req, res, 200, servedEntry(entry));
    },
  },
  {
    method: "DELETE",
    pattern: "/v1/packages/:namespace/:name/versions/:version/deprecation",
    async handle({ req, res, params, ctx }) {
      const { name, version } = target(params);
      await requireScope(req, ctx, "yank", name);
      const entry = await updateVersion(ctx, name, version, (e) => ({ ...e, deprecated: null }));
      sendJson(req, res, 200, servedEntry(entry));
    },
  },
  {
    method: "PUT",
    pattern: "/v1/packages/:namespace/:name/dist-tags/:tag",
    async handle({ req, res, params, ctx }) {
      const name = packageName(params.namespace!, params.name!);
      checkDistTag(params.tag!);
      await requireScope(req, ctx, "tag", name);
      const version = requireString(await readJsonBody(req, ctx.options.maxJsonBytes), "version");
      checkVersion(version);
      const index = await updateIndex(ctx, name, (current) => {
        versionOf(current, version);
        return { ...current, distTags: { ...current.distTags, [params.tag!]: version } };
      });
      sendJson(req, res, 200, { name, distTags: index.distTags });
    },
  },
  {
    method: "DELETE",
    pattern: "/v1/packages/:namespace/:name/dist-tags/:tag",
    async handle({ req, res, params, ctx }) {
      const name = packageName(params.namespace!, params.name!);
      checkDistTag(params.tag!);
      await requireScope(req, ctx, "tag", name);
      if (params.tag === "latest") throw new RegistryError("REGISTRY_BAD_REQUEST", "the latest tag cannot be removed, only moved", `move it with PUT /v1/packages/${name}/dist-tags/latest`);
      const index = await updateIndex(ctx, name, (current) => {
        const distTags = { ...current.distTags };
        delete distTags[params.tag!];
        return { ...current, distTags };
      });
      sendJson(req, res, 200, { name, distTags: index.distTags });
    },
  },
  {
    method: "GET",
    pattern: "/v1/packages/:namespace/:name/dist-tags",
    async handle({ req, res, params, ctx }) {
      const index = await loadPackage(ctx.storage, packageName(params.namespace!, params.name!));
      sendJson(req, res, 200, { name: index.name, distTags: servedIndex(index).distTags });
    },
  },
];

function target(params: Record<string, string>): { name: string; version: string } {
  const name = packageName(params.namespace!, params.name!);
  checkVersion(params.version!);
  return { name, version: params.version! };
}

async function updateIndex(ctx: RegistryContext, name: string, change: (index: PackageIndex) => PackageIndex): Promise<PackageIndex> {
  await loadPackage(ctx.storage, name); // clear PACKAGE_NOT_FOUND before taking the lock
  const updated = await ctx.storage.updateDocument<PackageIndex>(packageKey(name), (index) => {
    if (!index) throw new RegistryError("PACKAGE_NOT_FOUND", `there is no package ${name} in this registry`);
    return { ...change(index), updatedAt: new Date().toISOString() };
  });
  return updated!;
}

async function updateVersion(ctx: RegistryContext, name: string, version: string, change: (entry: VersionEntry) => VersionEntry): Promise<VersionEntry> {
  const index = await updateIndex(ctx, name, (current) => {
    const entry = versionOf(current, version);
    const versions = { ...current.versions, [version]: change(entry) };
    return { ...current, versions, distTags: retargetLatest(current.distTags, versions) };
  });
  return index.versions[version]!;
}

/** Keeps `latest` on a version that is not yanked when there is one, so a plain install never lands on a yanked release. */
function retargetLatest(distTags: Record<string, string>, versions: Record<string, VersionEntry>): Record<string, string> {
  const live = Object.values(versions).filter((v) => !v.yanked).map((v) => v.version);
  const stable = live.filter((v) => !semver.prerelease(v));
  const best = semver.rsort(stable.length > 0 ? stable : live)[0];
  const current = distTags.latest;
  if (current && versions[current] && !versions[current]!.yanked) return distTags;
  return best ? { ...distTags, latest: best } : distTags;
}

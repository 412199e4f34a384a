// list, search, info: what is installed, and what registries offer.
import type { Command } from "commander";
import semver from "semver";
import { registriesToUse, type RegistryEntry } from "../../packages/client-config.js";
import { PackageError } from "../../packages/errors.js";
import { listInstalled } from "../../packages/installed.js";
import { readLockFile } from "../../packages/lockfile.js";
import { formatBytes } from "../../packages/progress.js";
import type { RegistryClient } from "../../packages/registry-client.js";
import type { RemotePackage, SearchResult } from "../../packages/registry-types.js";
import { parsePackageSpec } from "../../packages/spec.js";
import { out, runPackageCommand } from "./pkg-run.js";

/** Adds `list`, `search` and `info`. */
export function registerQueryCommands(program: Command): void {
  program
    .command("list")
    .description("list installed plugins (* = pinned by heddle.lock here)")
    .option("--json", "print JSON")
    .action((flags: { json?: boolean }) =>
      runPackageCommand(async () => {
        const [installed, lock] = await Promise.all([listInstalled(), readLockFile()]);
        const rows = installed.map((i) => ({ name: i.name, version: i.version, platform: i.meta.platform, registry: i.meta.registry, dir: i.dir, pinned: lock?.plugins[i.name]?.version === i.version }));
        if (flags.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return out("no plugins installed");
        for (const r of rows) out(`${r.pinned ? "*" : " "} ${r.name}@${r.version}\t${r.platform}\t${r.registry}\t${r.dir}`);
      }),
    );

  program
    .command("search [text]")
    .description("search registries by text and by capability")
    .option("--step <name>", "plugins providing this step (repeatable; namespace.step or step)", collect, [])
    .option("--resource <name>", "plugins providing this resource kind (repeatable)", collect, [])
    .option("--command <name>", "plugins providing this Heimdall command (repeatable)", collect, [])
    .option("--handler <name>", "plugins providing this error handler (repeatable)", collect, [])
    .option("--limit <n>", "most results per registry", "20")
    .option("--registry <url>", "search only this registry")
    .option("--json", "print JSON")
    .action((text: string | undefined, flags: { step: string[]; resource: string[]; command: string[]; handler: string[]; limit: string; registry?: string; json?: boolean }) =>
      runPackageCommand(async () => {
        const params = new URLSearchParams({ q: text ?? "", limit: flags.limit });
        for (const [key, values] of [["step", flags.step], ["resource", flags.resource], ["command", flags.command], ["handler", flags.handler]] as const) {
          for (const v of values) params.append(key, v);
        }
        const results: Array<SearchResult & { registry: string }> = [];
        for (const entry of await registriesToUse(flags.registry)) {
          for (const hit of await (await clientFor(entry)).search(params)) results.push({ ...hit, registry: entry.url });
        }
        if (flags.json) return out(JSON.stringify(results, null, 2));
        if (results.length === 0) return out("no plugins found");
        for (const r of results) {
          const caps = [...r.provides.steps.map((s) => `step ${s}`), ...r.provides.resources.map((s) => `resource ${s}`), ...r.provides.commands.map((s) => `command ${s}`)];
          out(`${r.name}@${r.version}\t${r.description}${r.deprecated ? " (deprecated)" : ""}${caps.length ? `\n    provides: ${caps.join(", ")}` : ""}`);
        }
      }),
    );

  program
    .command("info <package>")
    .description("show a package's versions, dist-tags, yanks and artifacts (name or name@version)")
    .option("--registry <url>", "ask only this registry")
    .option("--json", "print the registry's JSON")
    .action((text: string, flags: { registry?: string; json?: boolean }) =>
      runPackageCommand(async () => {
        const spec = parsePackageSpec(text);
        let found: { pkg: RemotePackage; url: string } | undefined;
        for (const entry of await registriesToUse(flags.registry)) {
          const pkg = await (await clientFor(entry)).getPackage(spec.name);
          if (pkg) {
            found = { pkg, url: entry.url };
            break;
          }
        }
        if (!found) throw new PackageError("PACKAGE_NOT_FOUND", `no registry has ${spec.name}`, { hint: "check the name with `heddle-host search`" });
        const { pkg, url } = found;
        if (spec.range && !pkg.versions[spec.range]) throw new PackageError("VERSION_NOT_FOUND", `${spec.name} has no version ${spec.range}`);
        if (flags.json) return out(JSON.stringify(spec.range ? pkg.versions[spec.range] : pkg, null, 2));
        const latest = pkg.distTags.latest ? pkg.versions[pkg.distTags.latest] : undefined;
        out(`${pkg.name} (from ${url})`);
        if (typeof latest?.manifest.description === "string") out(`  ${latest.manifest.description}`);
        out(`  dist-tags: ${Object.entries(pkg.distTags).map(([t, v]) => `${t}=${v}`).join(", ") || "none"}`);
        const versions = spec.range ? [spec.range] : semver.rsort(Object.keys(pkg.versions));
        for (const v of versions) {
          const e = pkg.versions[v]!;
          const marks = [e.yanked ? `yanked${e.yanked.reason ? `: ${e.yanked.reason}` : ""}` : "", e.deprecated ? `deprecated: ${e.deprecated}` : ""].filter(Boolean).join("; ");
          out(`  ${v}\t${e.publishedAt}\tkey ${e.publisher.keyId}${marks ? `\t(${marks})` : ""}`);
          for (const a of e.artifacts) out(`      ${a.platform}\t${formatBytes(a.size)}\t${a.integrity}`);
        }
      }),
    );
}

/** A client for `entry`, loading the HTTP client (undici) on first use. */
async function clientFor(entry: RegistryEntry): Promise<RegistryClient> {
  const { RegistryClient: Client } = await import("../../packages/registry-client.js");
  return new Client(entry);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

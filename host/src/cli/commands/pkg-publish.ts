// publish, pack, yank, deprecate, dist-tag: commands of package authors.
import { resolve } from "node:path";
import type { Command } from "commander";
import { registriesToUse } from "../../packages/client-config.js";
import { PackageError } from "../../packages/errors.js";
import { formatBytes } from "../../packages/progress.js";
// pack, publish and the HTTP client are loaded on first use (esbuild, tar, undici)
import type { RegistryClient } from "../../packages/registry-client.js";
import { parsePackageSpec } from "../../packages/spec.js";
import { note, out, runPackageCommand } from "./pkg-run.js";

/** Adds `publish`, `pack`, `yank`, `deprecate` and `dist-tag`. */
export function registerPublishCommands(program: Command): void {
  program
    .command("publish <plugin-dir>")
    .description("pack, sign and publish a plugin folder")
    .option("--registry <url>", "registry to publish to (default: the first configured)")
    .option("--token <token>", "API token with publish:<namespace>/* scope (default: the one stored by login)")
    .option("--key <file>", "publisher Ed25519 key (default: $HEDDLE_HOME/keys/publisher-ed25519.pem, created if missing)")
    .option("--tag <tag>", "set this dist-tag (e.g. next) instead of moving latest")
    .option("--name <namespace/name>", "publish under this name instead of heddle-plugin.json's")
    .option("--namespace <ns>", "namespace for a heddle-plugin.json name without one (default: the token's only publish namespace)")
    .option("--no-bundle", "ship a node plugin's sources instead of an esbuild bundle")
    .option("--build [platforms]", BUILD_HELP)
    .option("--no-describe", "do not start the plugin to record what it provides")
    .option("--quiet", "no progress output")
    .action((dir: string, flags: { registry?: string; token?: string; key?: string; tag?: string; name?: string; namespace?: string; bundle: boolean; build?: string | boolean; describe: boolean; quiet?: boolean }) =>
      runPackageCommand(async () => {
        const { publishPlugin } = await import("../../packages/publish.js");
        const version = await publishPlugin(dir, {
          registry: flags.registry,
          token: flags.token,
          keyFile: flags.key,
          tag: flags.tag,
          name: flags.name,
          namespace: flags.namespace,
          bundle: flags.bundle,
          build: buildPlatforms(flags.build),
          describe: flags.describe,
          quiet: flags.quiet,
        });
        for (const a of version.artifacts) note(`  ${a.platform}: ${formatBytes(a.size)} ${a.integrity}`);
        out(`published ${version.name}@${version.version} (signed by key ${version.publisher.keyId})`);
      }),
    );

  program
    .command("pack <plugin-dir>")
    .description("build the package archives reproducibly (same folder, same bytes) and validate the manifest")
    .option("--out <dir>", "where to write the .tgz files", ".")
    .option("--name <namespace/name>", "pack under this name instead of heddle-plugin.json's")
    .option("--namespace <ns>", "namespace for a heddle-plugin.json name without one")
    .option("--no-bundle", "ship a node plugin's sources instead of an esbuild bundle")
    .option("--build [platforms]", BUILD_HELP)
    .action((dir: string, flags: { out: string; name?: string; namespace?: string; bundle: boolean; build?: string | boolean }) =>
      runPackageCommand(async () => {
        const { packPlugin } = await import("../../packages/pack.js");
        const result = await packPlugin(dir, { outDir: resolve(flags.out), naming: { name: flags.name, namespace: flags.namespace }, bundle: flags.bundle, build: buildPlatforms(flags.build) });
        for (const a of result.artifacts) out(`${a.path}\t${a.platform}\t${a.size}\t${a.integrity}`);
      }),
    );

  program
    .command("yank <package@version>")
    .description("yank a version: ranges stop picking it; lock files that pin it still install it")
    .option("--reason <text>", "why (shown to users)", "")
    .option("--undo", "un-yank")
    .option("--registry <url>", "registry (default: the first configured)")
    .option("--token <token>", "API token with yank or publish scope")
    .action((text: string, flags: { reason: string; undo?: boolean; registry?: string; token?: string }) =>
      runPackageCommand(async () => {
        const { name, version } = exactVersion(text);
        const client = await firstClient(flags.registry, flags.token);
        const path = `/v1/packages/${name}/versions/${version}/yank`;
        if (flags.undo) await client.json("DELETE", path);
        else await client.json("POST", path, { json: { reason: flags.reason } });
        out(`${flags.undo ? "un-yanked" : "yanked"} ${name}@${version}`);
      }),
    );

  program
    .command("deprecate <package@version> [message]")
    .description("mark a version deprecated (installs warn with the message); --undo clears it")
    .option("--undo", "clear the deprecation")
    .option("--registry <url>", "registry (default: the first configured)")
    .option("--token <token>", "API token with yank or publish scope")
    .action((text: string, message: string | undefined, flags: { undo?: boolean; registry?: string; token?: string }) =>
      runPackageCommand(async () => {
        const { name, version } = exactVersion(text);
        const client = await firstClient(flags.registry, flags.token);
        const path = `/v1/packages/${name}/versions/${version}/deprecation`;
        if (flags.undo) await client.json("DELETE", path);
        else {
          if (!message) throw new PackageError("USAGE", "deprecate needs a message", { hint: `heddle-host deprecate ${text} "use 2.x instead"` });
          await client.json("PUT", path, { json: { message } });
        }
        out(`${flags.undo ? "un-deprecated" : "deprecated"} ${name}@${version}`);
      }),
    );

  program
    .command("dist-tag <package> <tag> [version]")
    .description("point a dist-tag (latest, next, ...) at a version, or remove it with --rm")
    .option("--rm", "remove the tag")
    .option("--registry <url>", "registry (default: the first configured)")
    .option("--token <token>", "API token with publish scope")
    .action((pkg: string, tag: string, version: string | undefined, flags: { rm?: boolean; registry?: string; token?: string }) =>
      runPackageCommand(async () => {
        const { name } = parsePackageSpec(pkg);
        const client = await firstClient(flags.registry, flags.token);
        const path = `/v1/packages/${name}/dist-tags/${encodeURIComponent(tag)}`;
        if (flags.rm) await client.json("DELETE", path);
        else {
          if (!version) throw new PackageError("USAGE", "dist-tag needs the version to point the tag at", { hint: `heddle-host dist-tag ${name} ${tag} 1.2.3` });
          await client.json("PUT", path, { json: { version } });
        }
        out(flags.rm ? `removed ${name}@${tag}` : `${name}@${tag} → ${version}`);
      }),
    );
}

const BUILD_HELP = "go/rust: build prebuilt binaries, one archive per platform (default: this machine; Go also cross-builds a list like linux-x64,darwin-arm64)";

/** `--build` → undefined (not given), [] (this machine) or a platform list. */
function buildPlatforms(flag: string | boolean | undefined): string[] | undefined {
  if (flag === undefined || flag === false) return undefined;
  if (flag === true) return [];
  return flag.split(",").map((p) => p.trim()).filter(Boolean);
}

function exactVersion(text: string): { name: string; version: string } {
  const spec = parsePackageSpec(text);
  if (!spec.range || !/^\d+\.\d+\.\d+/.test(spec.range)) {
    throw new PackageError("USAGE", `${JSON.stringify(text)} must name an exact version, like acme/security@1.2.3`);
  }
  return { name: spec.name, version: spec.range };
}

async function firstClient(registry?: string, token?: string): Promise<RegistryClient> {
  const [entry] = await registriesToUse(registry, token);
  const { RegistryClient } = await import("../../packages/registry-client.js");
  return new RegistryClient(entry!);
}

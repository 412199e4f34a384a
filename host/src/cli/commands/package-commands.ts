// install, update, remove, list, search, info, publish, pack, yank,
// deprecate, dist-tag, login, logout, registry, key: commands that move plugin
// packages to and from an Fhub registry (implementations in pkg-*.ts). Each
// module is imported only when one of its commands runs (see index.ts).
import type { LazyCommand, Registrar } from "./index.js";

const loadInstall = async (): Promise<Registrar> => (await import("./pkg-install.js")).registerInstallCommands;
const loadPublish = async (): Promise<Registrar> => (await import("./pkg-publish.js")).registerPublishCommands;
const loadQuery = async (): Promise<Registrar> => (await import("./pkg-query.js")).registerQueryCommands;
const loadRegistry = async (): Promise<Registrar> => (await import("./pkg-registry.js")).registerRegistryCommands;

/** The package commands with their help lines; index.ts adds them to the program's table. */
export const PACKAGE_COMMANDS: LazyCommand[] = [
  { name: "install", term: "install [options] [packages...]", description: "install plugins (namespace/name[@range]) and pin them in heddle.lock; with no argument, restore exactly what heddle.lock pins", load: loadInstall },
  { name: "update", term: "update [options] [packages...]", description: "re-resolve pinned plugins (all, or the named ones) to the newest version their range allows, and update heddle.lock", load: loadInstall },
  { name: "remove", term: "remove <packages...>", description: "uninstall plugins (every installed version, or name@version) and drop them from heddle.lock", load: loadInstall },
  { name: "publish", term: "publish [options] <plugin-dir>", description: "pack, sign and publish a plugin folder", load: loadPublish },
  { name: "pack", term: "pack [options] <plugin-dir>", description: "build the package archives reproducibly (same folder, same bytes) and validate the manifest", load: loadPublish },
  { name: "yank", term: "yank [options] <package@version>", description: "yank a version: ranges stop picking it; lock files that pin it still install it", load: loadPublish },
  { name: "deprecate", term: "deprecate [options] <package@version> [message]", description: "mark a version deprecated (installs warn with the message); --undo clears it", load: loadPublish },
  { name: "dist-tag", term: "dist-tag [options] <package> <tag> [version]", description: "point a dist-tag (latest, next, ...) at a version, or remove it with --rm", load: loadPublish },
  { name: "list", term: "list [options]", description: "list installed plugins (* = pinned by heddle.lock here)", load: loadQuery },
  { name: "search", term: "search [options] [text]", description: "search registries by text and by capability", load: loadQuery },
  { name: "info", term: "info [options] <package>", description: "show a package's versions, dist-tags, yanks and artifacts (name or name@version)", load: loadQuery },
  { name: "registry", term: "registry", description: "the registries packages come from (the first that has a package wins)", load: loadRegistry },
  { name: "login", term: "login [options]", description: "store an API token for a registry (read from stdin when --token is not given)", load: loadRegistry },
  { name: "logout", term: "logout [options]", description: "forget the stored token of a registry", load: loadRegistry },
  { name: "key", term: "key", description: "publisher signing keys", load: loadRegistry },
];

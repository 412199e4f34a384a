// In-process plugins (runtime "native"): public surface of this folder.
export { InProcessPlugin, loadInProcessPlugin, inProcessAddon, type InProcessInvokeOptions } from "./native-plugin.js";
export type { InProcessLoadOptions } from "./options.js";
export { InProcessError } from "./errors.js";
export { exportTable, cFormat } from "./arrow-export.js";
export { importTable, typeOfFormat } from "./arrow-import.js";

// Public API of @heddle/sdk. (Filled in by the SDK work.)
export * as proto from "./gen/heddle/plugin/v1/plugin.js";

// Shared shapes of the plugin scaffolds.

/** Names a scaffold is generated for. */
export interface ScaffoldNames {
  /** Plugin name (heddle-plugin.json). */
  name: string;
  /** Step namespace: the name with characters other than letters, digits and _ replaced by _. */
  namespace: string;
}

/** Relative path → file content. */
export type ScaffoldFiles = Record<string, string>;

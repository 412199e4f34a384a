// The one HTTP agent of the package client, kept in a module that does not
// load undici itself, so CLI commands that never touched the network can
// close it for free.
import type { Agent } from "undici";

let agent: Agent | undefined;

/** The shared agent, created by `create` on first use. */
export function sharedAgent(create: () => Agent): Agent {
  agent ??= create();
  return agent;
}

/** Closes idle keep-alive connections so a CLI process can exit at once. */
export async function closeRegistryConnections(): Promise<void> {
  const a = agent;
  agent = undefined;
  await a?.close();
}

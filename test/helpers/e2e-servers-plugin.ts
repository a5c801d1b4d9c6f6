/** Starts the servers end-to-end tests talk to. Filled in with the emulator server. */
export function e2eServersPlugin() {
  return { name: 'e2e-servers' };
}

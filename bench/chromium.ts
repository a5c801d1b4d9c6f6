/**
 * Flags for the headless Chromium the benchmarks drive. Without the networking flags Chromium keeps dialling hosts
 * this machine cannot reach; as root it needs --no-sandbox (shared/toolchain.md, pitfalls).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

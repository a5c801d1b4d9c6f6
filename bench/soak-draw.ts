/**
 * What a soak run draws from its seed: the file size, the faults to arm and the disturbances (reload, pause,
 * offline). Shared by the soak (`soak.ts`) and its short in-browser form (`test/e2e/soak.test.ts`), so one seed means
 * the same run in both.
 */
import type { DrawnFault, SoakProvider } from './soak-providers.js';

const MiB = 1024 * 1024;
const MAX_SIZE = 64 * MiB;
/** How long a `stall` fault holds a request. */
export const STALL_MS = 33_000;

/** mulberry32: small, seedable, and the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof prng>;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (random: Random, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

/** Sizes at the edges that break uploaders: empty, one byte, each side of the first part boundaries, and the cap. */
function drawSize(random: Random, provider: SoakProvider): number {
  const boundary = provider.partSize * between(random, 1, 3);
  const edges = [0, 1, boundary - 1, boundary, boundary + 1, MAX_SIZE, ...provider.edges];
  return random() < 0.7 ? pick(random, edges) : between(random, 2, MAX_SIZE);
}

function drawFaults(random: Random, provider: SoakProvider, size: number): DrawnFault[] {
  const partCount = Math.max(1, Math.ceil(size / provider.partSize));
  const single = provider.singleOperation?.(size, provider.partSize);
  const faults: DrawnFault[] = [];
  for (let i = between(random, 0, 3); i > 0; i--) {
    const kind = pick(random, provider.kinds);
    const partNumber = between(random, 1, partCount);
    const part = single ? { operation: single } : { operation: provider.partOperation, ...(provider.partNumbered === false ? {} : { partNumber }) };
    const control = { operation: pick(random, provider.controlOperations) };
    const onPart = kind === 'drop' || kind === 'expire' || random() < 0.7;
    const target = onPart ? part : control;
    switch (kind) {
      case '5xx':
        faults.push({ kind, onPart, spec: { kind: 'fail', status: pick(random, [500, 502, 503]), ...target } });
        break;
      case '5xx+Retry-After':
        faults.push({ kind, onPart, spec: { kind: 'fail', status: 503, retryAfter: '1', ...target } });
        break;
      case 'drop': {
        const partBytes = single ? size : Math.min(provider.partSize, size - provider.partSize * (partNumber - 1));
        faults.push({ kind, onPart, spec: { kind: 'drop', afterBytes: between(random, 0, Math.max(0, partBytes - 1)), ...target } });
        break;
      }
      case 'delay':
        faults.push({ kind, onPart, spec: { kind: 'delay', ms: between(random, 200, 3000), ...target } });
        break;
      case 'stall':
        // Longer than the transport's 30 s stall window, so the request is given up and sent again.
        faults.push({ kind, onPart: true, spec: { kind: 'delay', ms: STALL_MS, ...part } });
        break;
      case 'expire':
        faults.push({ kind, onPart, spec: { kind: 'expire', ...target } });
        break;
      case 'session':
        if (provider.sessionLoss) faults.push({ kind, onPart: true, spec: provider.sessionLoss(partNumber) });
        break;
      case 'store-drop':
        // The store keeps the part, and the answer never reaches the page: the part goes up again by design.
        faults.push({ kind, onPart: true, spec: { kind: 'store-then-drop', ...part } });
        break;
    }
  }
  return faults;
}

/** Something done to the page while the upload runs, once its progress passes `at` (a fraction of the bytes). */
export type Disturbance = { kind: 'reload' | 'pause' | 'offline'; at: number; ms: number };

function drawDisturbances(random: Random, size: number): Disturbance[] {
  if (size === 0) return [];
  const drawn: Disturbance[] = [];
  for (const kind of ['reload', 'pause', 'offline'] as const) {
    if (random() < 0.4) drawn.push({ kind, at: random() * 0.8, ms: between(random, 200, 1500) });
  }
  return drawn.sort((a, b) => a.at - b.at);
}

/** Everything one run draws, in a fixed order so that a seed, a run number and a provider name it exactly. */
export function drawRun(seed: number, run: number, provider: SoakProvider): { size: number; faults: DrawnFault[]; disturbances: Disturbance[] } {
  const random = prng(seed * 7919 + run * 104729 + provider.id.length);
  const size = drawSize(random, provider);
  return { size, faults: drawFaults(random, provider, size), disturbances: drawDisturbances(random, size) };
}

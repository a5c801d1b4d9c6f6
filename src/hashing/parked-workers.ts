/**
 * Idle hashing workers that a disposed client left behind, for the next client of the same kind to take instead of
 * starting its own: a worker takes tens of milliseconds to start, which a page pays again each time it builds a new
 * uploader (a framework remount, a route change, a second uploader). Each waits a little, then ends.
 */

/** How long a parked worker waits for a new client before it ends. */
const PARKED_MS = 10_000;

const parked = new Map<unknown, Array<{ worker: Worker; timer: ReturnType<typeof setTimeout> }>>();

/** Leaves an idle worker for the next client of `kind` (what makes its workers: a factory, or a script URL). */
export function parkWorker(kind: unknown, worker: Worker): void {
  const waiting = parked.get(kind) ?? [];
  const entry = {
    worker,
    timer: setTimeout(() => {
      const index = waiting.indexOf(entry);
      if (index !== -1) waiting.splice(index, 1);
      if (waiting.length === 0 && parked.get(kind) === waiting) parked.delete(kind);
      worker.terminate();
    }, PARKED_MS),
  };
  waiting.push(entry);
  parked.set(kind, waiting);
}

/** A worker of `kind` that a disposed client left idle, if one still waits. */
export function takeParkedWorker(kind: unknown): Worker | undefined {
  const waiting = parked.get(kind);
  const entry = waiting?.pop();
  if (!entry) return undefined;
  clearTimeout(entry.timer);
  if (waiting!.length === 0) parked.delete(kind);
  return entry.worker;
}

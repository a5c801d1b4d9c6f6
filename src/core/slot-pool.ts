/** A counting semaphore for parts in flight, shared by every file of a manager. Waiters are served first come, first served. */
export class SlotPool {
  #limit: number;
  #inUse = 0;
  #waiters: Array<{ grant: () => void; signal: AbortSignal; onAbort: () => void }> = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get inUse(): number {
    return this.#inUse;
  }

  setLimit(limit: number): void {
    this.#limit = Math.max(1, limit);
    this.#drain();
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason if aborted while waiting. */
  acquire(signal: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const waiter = {
        signal,
        grant: () => {
          signal.removeEventListener('abort', waiter.onAbort);
          this.#inUse++;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.#inUse--;
            this.#drain();
          });
        },
        onAbort: () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#drain();
    });
  }

  #drain(): void {
    while (this.#inUse < this.#limit && this.#waiters.length > 0) this.#waiters.shift()!.grant();
  }
}

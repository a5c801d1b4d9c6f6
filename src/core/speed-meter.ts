const SAMPLE_INTERVAL_MS = 250;
const HALF_LIFE_MS = 2000;

/** Smooths a byte counter into a speed with an exponential moving average over time, so one burst does not swing the ETA. */
export class SpeedMeter {
  #lastBytes = 0;
  #lastTime: number | undefined;
  #speed = 0;

  /** Feeds the current byte count; returns bytes per second. */
  update(bytes: number, now = performance.now()): number {
    if (this.#lastTime === undefined || bytes < this.#lastBytes) {
      this.#lastTime = now;
      this.#lastBytes = bytes;
      return this.#speed;
    }
    const elapsed = now - this.#lastTime;
    if (elapsed < SAMPLE_INTERVAL_MS) return this.#speed;
    const instant = ((bytes - this.#lastBytes) * 1000) / elapsed;
    const weight = 1 - Math.pow(0.5, elapsed / HALF_LIFE_MS);
    this.#speed = this.#speed === 0 ? instant : this.#speed + weight * (instant - this.#speed);
    this.#lastTime = now;
    this.#lastBytes = bytes;
    return this.#speed;
  }

  /** Forgets the history, after a pause. */
  reset(): void {
    this.#lastTime = undefined;
    this.#speed = 0;
  }

  get speed(): number {
    return this.#speed;
  }
}

/** Seconds left at `speed` bytes per second, or undefined while the speed is unknown. */
export function etaSeconds(bytesLeft: number, speed: number): number | undefined {
  if (bytesLeft <= 0) return 0;
  return speed > 0 ? bytesLeft / speed : undefined;
}

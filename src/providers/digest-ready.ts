import type { AdapterContext } from '../core/adapter.js';

const PENDING = Symbol('pending');

/**
 * A per-part digest if the hashing has already computed it, else undefined, without waiting: lets an adapter ask for
 * the URLs of several parts in one call while holding back the parts the hashing has not reached. A digest that can
 * never exist also answers undefined; the part's own request then meets that failure.
 */
export async function digestIfReady(ctx: AdapterContext, name: string, partNumber: number): Promise<string | number[] | undefined> {
  const digest = ctx.digest(name, partNumber);
  digest.catch(() => undefined);
  // A settled promise wins a race against a fresh resolved one listed after it; an unsettled one loses.
  const value = await Promise.race<string | number[] | typeof PENDING>([digest, Promise.resolve(PENDING)]).catch(() => PENDING);
  return typeof value === 'symbol' ? undefined : value;
}

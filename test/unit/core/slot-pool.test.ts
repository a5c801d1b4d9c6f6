import { expect } from '@open-wc/testing';
import { SlotPool } from '../../../src/core/slot-pool.js';

describe('SlotPool', () => {
  it('never grants more slots than its limit, first come first served', async () => {
    const pool = new SlotPool(2);
    const signal = new AbortController().signal;
    const order: number[] = [];
    const releases = await Promise.all([pool.acquire(signal), pool.acquire(signal)]);
    const third = pool.acquire(signal).then((release) => (order.push(3), release));
    const fourth = pool.acquire(signal).then((release) => (order.push(4), release));
    await new Promise((r) => setTimeout(r, 10));
    expect(pool.inUse).to.equal(2);
    expect(order).to.deep.equal([]);
    releases[0]();
    releases[0]();
    await third;
    expect(order).to.deep.equal([3]);
    expect(pool.inUse).to.equal(2);
    releases[1]();
    await fourth;
    expect(order).to.deep.equal([3, 4]);
  });
  it('drops a waiter whose signal aborts', async () => {
    const pool = new SlotPool(1);
    const release = await pool.acquire(new AbortController().signal);
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    controller.abort('stop');
    expect(await waiting.catch((e) => e)).to.equal('stop');
    release();
    expect(pool.inUse).to.equal(0);
  });
  it('grants waiters when the limit rises', async () => {
    const pool = new SlotPool(1);
    const signal = new AbortController().signal;
    await pool.acquire(signal);
    const waiting = pool.acquire(signal);
    pool.setLimit(2);
    await waiting;
    expect(pool.inUse).to.equal(2);
  });
});

import { expect } from '@open-wc/testing';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { memoryAdapter, part, removeUploaders, uploader } from '../helpers/element-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Flips `disabled` 20 times, 5 ms apart, and counts the times the element's shadow DOM changed. */
async function drawsWhileFlipping(el: MultiCloudUploader): Promise<number> {
  let draws = 0;
  const observer = new MutationObserver(() => draws++);
  observer.observe(el.shadowRoot!, { subtree: true, attributes: true, childList: true, characterData: true });
  for (let flip = 0; flip < 20; flip++) {
    el.disabled = flip % 2 === 0;
    await sleep(5);
  }
  await el.updateComplete;
  observer.disconnect();
  return draws;
}

describe('how often the element draws', () => {
  afterEach(removeUploaders);

  it('draws a visible element at most every 50 ms however often it changes, and ends on the last state', async () => {
    const el = await uploader(memoryAdapter());
    // 20 changes over at least 100 ms: about three draws, where each change used to draw.
    expect(await drawsWhileFlipping(el)).to.be.below(10);
    expect(part(el, 'browse-button').hasAttribute('disabled')).to.equal(false);
    el.disabled = true;
    await el.updateComplete;
    expect(part(el, 'browse-button').hasAttribute('disabled')).to.equal(true);
  });

  it("draws a hidden page's element at each change: such a page draws no frames and throttles its timers", async () => {
    const el = await uploader(memoryAdapter());
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    try {
      expect(await drawsWhileFlipping(el)).to.be.at.least(15);
    } finally {
      delete (document as { visibilityState?: unknown }).visibilityState;
    }
    expect(document.visibilityState).to.equal('visible');
  });
});

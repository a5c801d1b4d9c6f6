import { expect, html, waitUntil } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import type { AxeResults } from 'axe-core';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import { fileOf, memoryAdapter, removeUploaders, stateOf, uploader } from '../helpers/element-fixture.js';
import { styles } from '../../src/element/multi-cloud-uploader.styles.js';

const KiB = 1024;

interface Axe {
  run(context: Element, options: object): Promise<AxeResults>;
}

async function loadAxe(): Promise<Axe> {
  // axe.min.js is a UMD script: imported in the browser, it registers itself as window.axe.
  await import('axe-core/axe.min.js');
  return (window as unknown as { axe: Axe }).axe;
}

/** Every axe violation inside the element, shadow root included, as "rule: target" lines. */
async function violations(el: MultiCloudUploader): Promise<string[]> {
  const axe = await loadAxe();
  const results = await axe.run(el, { resultTypes: ['violations'] });
  return results.violations.flatMap((violation) =>
    violation.nodes.map((node) => `${violation.id}: ${JSON.stringify(node.target)} ${node.failureSummary ?? ''}`),
  );
}

/** A page in the scheme: the root's colour-scheme, a matching canvas, and the person's preference. */
async function pageIn(scheme: 'light' | 'dark'): Promise<void> {
  await emulateMedia({ colorScheme: scheme });
  document.documentElement.style.setProperty('color-scheme', scheme);
  document.body.style.setProperty('background', scheme === 'dark' ? '#0f172a' : '#ffffff');
  document.body.style.setProperty('color', scheme === 'dark' ? '#f8fafc' : '#0f172a');
}

/** Adds one file and, unless it is to stay queued, starts it and waits for `state`. */
function fileIn(state: 'queued' | 'uploading' | 'paused' | 'failed' | 'done') {
  return async (el: MultiCloudUploader) => {
    await el.addFiles([fileOf(10 * KiB, `${state}.bin`)]);
    if (state === 'queued') return;
    el.start();
    await stateOf(el, state === 'paused' ? 'uploading' : state);
    if (state !== 'paused') return;
    el.pauseAll();
    await stateOf(el, 'paused');
  };
}

const STATES = {
  idle: fileIn('queued'),
  uploading: fileIn('uploading'),
  paused: fileIn('paused'),
  error: fileIn('failed'),
  done: fileIn('done'),
} as const;

describe('theming and dark mode', () => {
  afterEach(removeUploaders);
  after(async () => {
    await emulateMedia({ colorScheme: 'light' });
    document.documentElement.style.removeProperty('color-scheme');
    document.body.style.removeProperty('background');
    document.body.style.removeProperty('color');
  });

  for (const scheme of ['light', 'dark'] as const) {
    for (const [state, reach] of Object.entries(STATES)) {
      it(`has no axe violations inside the shadow root on a ${scheme} page, ${state}`, async () => {
        await pageIn(scheme);
        const adapter = state === 'error' ? memoryAdapter({ failPart: 1, failCode: 'auth-failed' }) : memoryAdapter({ delayMs: state === 'done' ? 0 : 5000 });
        const el = await uploader(adapter, html`<multi-cloud-uploader no-resume max-file-size="1000000"></multi-cloud-uploader>`);
        await reach(el);
        // A refused file's notice is on screen in every state too.
        await el.addFiles([fileOf(2_000_000, 'too-big.bin')]);
        await el.updateComplete;
        expect(await violations(el)).to.deep.equal([]);
      });
    }
  }

  it('follows prefers-color-scheme, and the theme attribute overrides it', async () => {
    const el = await uploader(memoryAdapter());
    const background = () => getComputedStyle(el).backgroundColor;
    await emulateMedia({ colorScheme: 'dark' });
    await waitUntil(() => background() === 'rgb(17, 24, 39)', 'not dark');
    el.theme = 'light';
    await el.updateComplete;
    expect(background()).to.equal('rgb(255, 255, 255)');
    await emulateMedia({ colorScheme: 'light' });
    el.theme = 'dark';
    await el.updateComplete;
    expect(background()).to.equal('rgb(17, 24, 39)');
    el.theme = undefined;
    el.style.setProperty('color-scheme', 'dark');
    await el.updateComplete;
    expect(background()).to.equal('rgb(17, 24, 39)');
  });

  it('writes no colour outside the --mcu-* defaults', () => {
    const rules = styles.cssText.replace(/\/\*[\s\S]*?\*\//g, '');
    const defaults = [...rules.matchAll(/--_[\w-]+:\s*var\(--mcu-[\w-]+,[^;]*;/g)].map((match) => match[0]);
    const rest = defaults.reduce((text, declaration) => text.replace(declaration, ''), rules);
    expect(rest.match(/#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|(?<![\w-])(white|black|Canvas|CanvasText)(?![\w-])/gi)).to.equal(null);
  });

  it('takes every colour from a --mcu-* custom property', async () => {
    const el = await uploader(memoryAdapter());
    await el.addFiles([fileOf(10, 'a.bin')]);
    await el.updateComplete;
    el.style.setProperty('--mcu-color-text', 'rgb(1, 1, 1)');
    el.style.setProperty('--mcu-color-surface', 'rgb(2, 2, 2)');
    el.style.setProperty('--mcu-color-text-muted', 'rgb(3, 3, 3)');
    el.style.setProperty('--mcu-color-border', 'rgb(4, 4, 4)');
    const style = getComputedStyle(el);
    expect([style.color, style.backgroundColor]).to.deep.equal(['rgb(1, 1, 1)', 'rgb(2, 2, 2)']);
    const row = el.shadowRoot!.querySelector('[part~="file"]')!;
    expect(getComputedStyle(row).borderTopColor).to.equal('rgb(4, 4, 4)');
    expect(getComputedStyle(row.querySelector('[part~="file-size"]')!).color).to.equal('rgb(3, 3, 3)');
  });
});

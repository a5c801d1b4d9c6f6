import { expect } from '@open-wc/testing';
import type { SoakApi, SoakState } from '../../bench/soak-page.js';
import { drawRun } from '../../bench/soak-draw.js';
import { resendAllowance, SOAK_PROVIDERS, type SoakProvider } from '../../bench/soak-providers.js';
import { diskFile, e2eServers, firstDifferenceFromFile } from '../helpers/e2e.js';

/**
 * The fault soak's short form for CI (`npm run soak` is the long one): the same seeded draws of size, faults and
 * disturbances, through the same soak page, against the strict emulators over real HTTP. A page reload is a fresh
 * iframe of the soak page on this origin (same IndexedDB), which finds the checkpoint when given the same file;
 * going offline needs the browser's network controls and is left to `npm run soak`.
 */
const SEED = 8;
const RUNS = 2;
const PROVIDERS = SOAK_PROVIDERS.map((provider) => provider.id);
const RUN_DEADLINE_MS = 60_000;

type SoakWindow = Window & { soak?: SoakApi };

/** A new "page": an iframe running the soak page, with `file` on its input, the upload begun. */
async function openPage(file: File, setup: Parameters<SoakApi['begin']>[0]): Promise<{ frame: HTMLIFrameElement; soak: SoakApi }> {
  const frame = document.createElement('iframe');
  frame.srcdoc = '<input type="file" id="file"><script type="module" src="/bench/soak-page.ts"></script>';
  document.body.append(frame);
  const view = () => frame.contentWindow as SoakWindow | null;
  for (let waited = 0; !view()?.soak; waited += 20) {
    if (waited > 15_000) throw new Error('The soak page did not load in its frame');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const input = frame.contentDocument!.querySelector<HTMLInputElement>('#file')!;
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  const soak = view()!.soak!;
  await soak.begin(setup);
  return { frame, soak };
}

async function admin(path: string, init?: RequestInit): Promise<Response> {
  const { emulatorUrl } = await e2eServers();
  return fetch(`${emulatorUrl}/__admin/${path}`, init);
}

describe('fault soak, short form (seeded faults, reloads and pauses, byte-exact results)', function () {
  this.timeout(240_000);
  const frames: HTMLIFrameElement[] = [];
  afterEach(() => {
    for (const frame of frames.splice(0)) frame.remove();
  });

  for (const id of PROVIDERS) {
    const provider = SOAK_PROVIDERS.find((candidate) => candidate.id === id) as SoakProvider;
    for (let run = 1; run <= RUNS; run++) {
      const { size, faults, disturbances } = drawRun(SEED, run, provider);
      const kinds = faults.map((fault) => fault.kind).join(', ') || 'no faults';
      const stops = disturbances.filter((d) => d.kind !== 'offline').map((d) => d.kind).join(', ') || 'no stops';
      it(`${id} seed ${SEED} run ${run}: ${size} B with ${kinds}, ${stops}: stored byte for byte`, async () => {
        const { emulatorUrl } = await e2eServers();
        const file = await diskFile(size, `soak-${id}-${run}.bin`);
        await admin(`${id}/reset`, { method: 'POST' });
        for (const fault of faults) {
          const armed = await admin(`${id}/faults`, { method: 'POST', body: JSON.stringify(fault.spec), headers: { 'content-type': 'application/json' } });
          expect(armed.status, JSON.stringify(fault.spec)).to.equal(201);
        }
        const setup = {
          provider: id,
          origin: emulatorUrl,
          ...(provider.setsPartSize && { partSize: provider.partSize }),
          concurrency: 3,
          extra: provider.extra,
        };
        let page = await openPage(file, setup);
        frames.push(page.frame);
        const pending = disturbances.filter((d) => d.kind !== 'offline');
        const deadline = Date.now() + RUN_DEADLINE_MS;
        let retried = false;
        let stops = 0;
        let state: SoakState;
        for (;;) {
          state = page.soak.state();
          if (state.status === 'complete') break;
          expect(state.status, `refused: ${state.error?.message}`).not.to.equal('refused');
          if (state.status === 'error') {
            // Only a fault that ends the session warrants an error, and then a retry has to finish the upload.
            expect(faults.some((fault) => provider.sessionEnding.includes(fault.kind)), `${state.error?.code}: ${state.error?.message}`).to.equal(true);
            expect(retried, `failed again after a retry: ${state.error?.code}`).to.equal(false);
            retried = true;
            page.soak.retry();
          }
          expect(Date.now() < deadline, `no end after ${RUN_DEADLINE_MS / 1000} s at ${state.bytesSent}/${state.bytesTotal} B`).to.equal(true);
          const next = pending[0];
          if (next && state.bytesTotal > 0 && state.bytesSent >= next.at * state.bytesTotal) {
            pending.shift();
            stops += 1;
            if (next.kind === 'reload') {
              page.frame.remove();
              page = await openPage(file, setup);
              frames.push(page.frame);
            } else {
              page.soak.pause();
              await new Promise((resolve) => setTimeout(resolve, next.ms));
              page.soak.resume();
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const path = provider.storedPath(state.result!);
        expect(path, JSON.stringify(state.result)).to.be.a('string');
        const stored = await admin(path!);
        expect(stored.status).to.equal(200);
        expect(await firstDifferenceFromFile(new Uint8Array(await stored.arrayBuffer()), file)).to.equal(-1);

        const stats = (await (await admin(`${id}/stats`)).json()) as Record<string, unknown>;
        const fired = (await (await admin(`${id}/faults`)).json()) as Array<{ fired: number }>;
        const partFaults = fired.filter((fault, i) => fault.fired > 0 && faults[i]?.onPart).length;
        const partCount = Math.max(1, Math.ceil(size / provider.partSize));
        const resent = provider.resentBytes({ size, partSize: provider.partSize, partCount, result: state.result!, stats });
        expect(resent).to.be.at.most(resendAllowance(provider, size, stops, partFaults, setup.concurrency));
      });
    }
  }
});

import { http, type HttpHandler } from 'msw';
import type { Emulator } from './emulator.js';

/**
 * msw handlers that hand every request to an emulator's base path and below it, on any origin and with any method
 * (OPTIONS included), to the emulator, for `setupWorker(...emulatorHandlers(emulator))` in a page. A page's signed
 * iFlytek calls cannot carry `date`, so there the signing proxy reaches the emulator through `handleRaw`; these
 * handlers serve its file URLs.
 */
export function emulatorHandlers(emulator: Pick<Emulator, 'handle'> & { readonly basePath: string }): HttpHandler[] {
  const serve: Parameters<typeof http.all>[1] = ({ request }) => emulator.handle(request);
  return [http.all(`*${emulator.basePath}`, serve), http.all(`*${emulator.basePath}/*`, serve)];
}

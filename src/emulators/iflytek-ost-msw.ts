import { http, type HttpHandler } from 'msw';
import type { IflytekOstEmulator } from './iflytek-ost-emulator.js';

/**
 * msw handlers that hand every request under the iFlytek OST emulator's base path, on any origin, to the emulator,
 * for `setupWorker(...iflytekOstEmulatorHandlers(emulator))` in a page. Signed calls from a page cannot carry `date`,
 * so in a page the signing proxy should reach the emulator through `handleRaw` instead; these serve the file URLs.
 */
export function iflytekOstEmulatorHandlers(emulator: IflytekOstEmulator): HttpHandler[] {
  return [http.all(`*${emulator.basePath}/*`, ({ request }) => emulator.handle(request))];
}

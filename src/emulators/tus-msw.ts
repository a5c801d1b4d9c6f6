import { http, type HttpHandler } from 'msw';
import type { TusEmulator } from './tus-emulator.js';

/**
 * msw handlers that hand the creation URL and every upload URL below it, on any origin and with any method (OPTIONS
 * included), to the tus emulator, for `setupWorker(...tusEmulatorHandlers(emulator))` in a page.
 */
export function tusEmulatorHandlers(emulator: TusEmulator): HttpHandler[] {
  const serve: Parameters<typeof http.all>[1] = ({ request }) => emulator.handle(request);
  return [http.all(`*${emulator.basePath}`, serve), http.all(`*${emulator.basePath}/*`, serve)];
}

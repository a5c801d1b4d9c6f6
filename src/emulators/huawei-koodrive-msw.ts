import { http, type HttpHandler } from 'msw';
import type { KooDriveEmulator } from './huawei-koodrive-emulator.js';

/**
 * msw handlers that hand every request under the KooDrive emulator's base path (API calls and part PUTs, OPTIONS
 * included), on any origin, to the emulator: `setupWorker(...kooDriveEmulatorHandlers(emulator))` in a page.
 */
export function kooDriveEmulatorHandlers(emulator: KooDriveEmulator): HttpHandler[] {
  return [http.all(`*${emulator.basePath}/*`, ({ request }) => emulator.handle(request))];
}

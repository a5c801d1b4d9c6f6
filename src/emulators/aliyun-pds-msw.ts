import { http, type HttpHandler } from 'msw';
import type { AliyunPdsEmulator } from './aliyun-pds-emulator.js';

/**
 * msw handlers that hand every request under the PDS emulator's base path (API calls and part URLs), on any origin
 * and with any method, to the emulator: `setupWorker(...aliyunPdsEmulatorHandlers(emulator))` in a page.
 */
export function aliyunPdsEmulatorHandlers(emulator: AliyunPdsEmulator): HttpHandler[] {
  return [http.all(`*${emulator.basePath}/*`, ({ request }) => emulator.handle(request))];
}

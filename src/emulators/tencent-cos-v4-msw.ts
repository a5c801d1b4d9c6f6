import { http, type HttpHandler } from 'msw';
import type { TencentCosV4Emulator } from './tencent-cos-v4-emulator.js';

/**
 * msw handlers that hand every request under the COS v4 emulator's base path, on any origin and with any method
 * (OPTIONS included), to the emulator, for `setupWorker(...tencentCosV4EmulatorHandlers(emulator))` in a page.
 */
export function tencentCosV4EmulatorHandlers(emulator: TencentCosV4Emulator): HttpHandler[] {
  return [http.all(`*${emulator.basePath}/*`, ({ request }) => emulator.handle(request))];
}

import { http, type HttpHandler } from 'msw';
import type { S3Emulator } from './s3-emulator.js';

/**
 * msw handlers that hand every request under the emulator's base path, on any origin and with any method (OPTIONS
 * included), to the emulator, for `setupWorker(...s3EmulatorHandlers(emulator))` in a page.
 */
export function s3EmulatorHandlers(emulator: S3Emulator): HttpHandler[] {
  return [http.all(`*${emulator.basePath}/*`, ({ request }) => emulator.handle(request))];
}

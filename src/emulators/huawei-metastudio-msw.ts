import { http, type HttpHandler } from 'msw';
import type { MetaStudioEmulator } from './huawei-metastudio-emulator.js';

/**
 * msw handlers that hand every request under the MetaStudio emulator's base path (API and OBS upload URLs, any
 * method, OPTIONS included) to the emulator, for `setupWorker(...metaStudioEmulatorHandlers(emulator))` in a page.
 */
export function metaStudioEmulatorHandlers(emulator: MetaStudioEmulator): HttpHandler[] {
  return [http.all(`*${emulator.basePath}/*`, ({ request }) => emulator.handle(request))];
}

import { http, type HttpHandler } from 'msw';
import { MetaStudioEmulator } from '../../src/emulators/huawei-metastudio-emulator.js';
import { createMetaStudioHandler } from '../../src/server/huawei-metastudio-handler.js';
import type { MetaStudioHandlerOptions } from '../../src/server/huawei-metastudio-handler.js';

/** The project and key pair of the in-page MetaStudio emulator; test values, not secrets. */
export const METASTUDIO_TEST = {
  projectId: '6a6a1f8354f64dd9b9a614def7b59d83',
  credentials: { accessKey: 'AKCONTRACTMETASTUDIO', secretKey: 'contract-metastudio-sk' },
  staticToken: 'MIIcontract-static-token',
  /** A handler `secret` for the stateless mode, where file records travel sealed with the page. */
  secret: 'contract-metastudio-sealing-secret-0123456789',
  emulatorPath: '/emulator/huawei-metastudio',
  apiPath: '/api/huawei-metastudio',
} as const;

/** One request as the page sent it, for assertions on order and headers. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/**
 * The in-page MetaStudio world: the emulator and the shipped handler mounted at `/api/...`, sharing a movable clock,
 * under msw, replaceable per test (`useHandler`) to try token auth, bad keys or a restart.
 */
export function metaStudioWorld() {
  const clock = { skewMs: 0 };
  const emulator = new MetaStudioEmulator({
    basePath: METASTUDIO_TEST.emulatorPath,
    projectId: METASTUDIO_TEST.projectId,
    credentials: { ...METASTUDIO_TEST.credentials },
    tokens: [METASTUDIO_TEST.staticToken],
    now: () => Date.now() + clock.skewMs,
  });
  const makeHandler = (options: Partial<MetaStudioHandlerOptions> = {}) =>
    createMetaStudioHandler({
      endpoint: `${location.origin}${METASTUDIO_TEST.emulatorPath}`,
      projectId: METASTUDIO_TEST.projectId,
      auth: { ...METASTUDIO_TEST.credentials },
      basePath: METASTUDIO_TEST.apiPath,
      // The emulator's upload URLs point at the page's own origin.
      allowedUploadHosts: [location.host],
      now: () => Date.now() + clock.skewMs,
      ...options,
    });
  let handler = makeHandler();
  const handlers: HttpHandler[] = [
    http.all(`*${METASTUDIO_TEST.emulatorPath}/*`, ({ request }) => emulator.handle(request)),
    http.all(`*${METASTUDIO_TEST.apiPath}/*`, ({ request }) => handler(request)),
  ];
  return {
    emulator,
    clock,
    handlers,
    endpoint: `${location.origin}${METASTUDIO_TEST.apiPath}`,
    /** Replaces the mounted handler (without a `secret`, a new one has an empty upload store, as after a restart). */
    useHandler(options: Partial<MetaStudioHandlerOptions> = {}) {
      handler = makeHandler(options);
    },
  };
}

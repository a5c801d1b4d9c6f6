import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { Miniflare } from 'miniflare';
import {
  EMULATOR_S3_BASE_PATH,
  EMULATOR_S3_BUCKET,
  EMULATOR_S3_CREDENTIALS,
  EMULATOR_S3_REGION,
} from '../../src/emulators/node-server.js';
import { EMULATOR_KOODRIVE_BASE_PATH, EMULATOR_KOODRIVE_CREDENTIALS } from '../../src/emulators/huawei-koodrive-mounts.js';
import {
  EMULATOR_METASTUDIO_BASE_PATH,
  EMULATOR_METASTUDIO_CREDENTIALS,
  EMULATOR_METASTUDIO_PROJECT_ID,
  EMULATOR_METASTUDIO_SECRET,
} from '../../src/emulators/huawei-metastudio-mounts.js';
import { EMULATOR_IFLYTEK_OST_BASE_PATH, EMULATOR_IFLYTEK_OST_CREDENTIALS } from '../../src/emulators/iflytek-ost-mounts.js';
import { EMULATOR_COS_V4 } from '../../src/emulators/tencent-cos-v4-mounts.js';
import type { WorkerdEmulators } from '../workerd/handlers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = 'test/workerd/worker.ts';
/** The newest date this workerd release knows; handlers must run without any compatibility flag. */
const COMPATIBILITY_DATE = '2025-07-18';

/** The worker of test/workerd/worker.ts, running in workerd. */
export interface Workerd {
  /** Its origin, e.g. `http://127.0.0.1:P`; the handlers answer on the emulator server's `/api/…` paths. */
  url: string;
  close(): Promise<void>;
}

/**
 * The AWS SDK's `browser` field swaps its XML parser for one built on `DOMParser`, which workerd lacks ("DOMParser is
 * not defined", aws/aws-sdk-js-v3#7375, cloudflare/workers-sdk#10755). Its default parser is plain JavaScript. Only
 * the S3 handler meets this, and a Cloudflare deployment of it needs the same redirect in its bundler (or a
 * `DOMParser` polyfill).
 */
const awsSdkXmlParserWithoutDom: Plugin = {
  name: 'aws-sdk-xml-parser-without-dom',
  setup(plugin) {
    plugin.onResolve({ filter: /^\.\/xml-parser$/ }, ({ importer, resolveDir }) =>
      /[\\/]@aws-sdk[\\/]xml-builder[\\/]/.test(importer) ? { path: join(resolveDir, 'xml-parser.js') } : undefined,
    );
  },
};

/**
 * Bundles the worker as Wrangler would for Cloudflare (browser platform, `workerd` conditions, ESM), so that the
 * package's exports pick the Fetch-only build and the AWS SDK comes in with its browser runtime.
 */
export async function bundleWorker(): Promise<string> {
  await access(`${ROOT}dist/server.js`).catch(() => {
    throw new Error('dist/server.js is missing: the worker runs the built package, so run `npm run build` first');
  });
  const { outputFiles } = await build({
    absWorkingDir: ROOT,
    entryPoints: [WORKER_ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    logLevel: 'warning',
    plugins: [awsSdkXmlParserWithoutDom],
  });
  return outputFiles[0]!.text;
}

/** What the worker needs to know about the emulator server at `origin`: the same as the server's own mounts. */
export function workerdEmulators(origin: string): WorkerdEmulators {
  return {
    origin,
    s3: {
      endpoint: `${origin}${EMULATOR_S3_BASE_PATH}`,
      bucket: EMULATOR_S3_BUCKET,
      region: EMULATOR_S3_REGION,
      credentials: { ...EMULATOR_S3_CREDENTIALS },
    },
    kooDrive: { apiEndpoint: `${origin}${EMULATOR_KOODRIVE_BASE_PATH}`, ...EMULATOR_KOODRIVE_CREDENTIALS },
    metaStudio: {
      endpoint: `${origin}${EMULATOR_METASTUDIO_BASE_PATH}`,
      projectId: EMULATOR_METASTUDIO_PROJECT_ID,
      ...EMULATOR_METASTUDIO_CREDENTIALS,
      secret: EMULATOR_METASTUDIO_SECRET,
    },
    iflytekOst: { upstream: `${origin}${EMULATOR_IFLYTEK_OST_BASE_PATH}`, ...EMULATOR_IFLYTEK_OST_CREDENTIALS },
    cosV4: {
      appId: EMULATOR_COS_V4.appId,
      bucket: EMULATOR_COS_V4.bucket,
      ...EMULATOR_COS_V4.credentials,
      expiresIn: EMULATOR_COS_V4.signatureLifetime,
    },
  };
}

/** Starts the handlers' worker in workerd on a free loopback port, talking to the emulator server at `emulatorUrl`. */
export async function startWorkerd(emulatorUrl: string): Promise<Workerd> {
  const miniflare = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { EMULATORS: workerdEmulators(emulatorUrl) },
    // Otherwise Miniflare fetches request.cf metadata from Cloudflare at start-up.
    cf: false,
    host: '127.0.0.1',
    port: 0,
  });
  const url = (await miniflare.ready).origin;
  return { url, close: () => miniflare.dispose() };
}

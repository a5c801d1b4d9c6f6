import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { defaultReporter } from '@web/test-runner';
import { summaryLineReporter } from './wtr-summary-reporter.mjs';
import { e2eServersPlugin } from './test/helpers/e2e-servers-plugin.ts';
import { diskFilePlugin } from './test/helpers/disk-file-plugin.ts';
import { workerdPlugin } from './test/helpers/workerd-plugin.ts';
import { uppyBundlePlugin } from './test/helpers/uppy-bundle-plugin.ts';

const CHROMIUM = process.env.CHROME_PATH || '/usr/bin/chromium';
// Without the networking flags Chromium keeps dialling hosts this machine cannot reach; as root it needs --no-sandbox.
const args = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

const e2e = e2eServersPlugin();

/** @type {import('@web/test-runner').TestRunnerConfig} */
export default {
  // test/node/ holds node:test files, which scripts/test.ts runs under Node.
  files: ['test/**/*.test.ts', '!test/node/**'],
  nodeResolve: { exportConditions: ['browser', 'development'] },
  browsers: [chromeLauncher({ launchOptions: { executablePath: CHROMIUM, headless: true, args } })],
  concurrency: 1,
  plugins: [esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }), e2e, workerdPlugin(e2e), diskFilePlugin(), uppyBundlePlugin()],
  middleware: [
    // The msw worker must be served from the root so that its scope covers the test page.
    function mswWorker(ctx, next) {
      if (ctx.path === '/mockServiceWorker.js') ctx.path = '/public/mockServiceWorker.js';
      return next();
    },
  ],
  testFramework: { config: { timeout: 60000 } },
  testsFinishTimeout: 20 * 60 * 1000,
  reporters: [defaultReporter(), summaryLineReporter()],
  filterBrowserLogs: ({ args }) => !String(args[0] ?? '').includes('Lit is in dev mode'),
};

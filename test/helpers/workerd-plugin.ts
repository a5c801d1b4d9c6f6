import type { Plugin } from '@web/dev-server-core';
import type { E2eServersPlugin } from './e2e-servers-plugin.js';
import { startWorkerd, type Workerd } from './workerd.js';

/**
 * A web-test-runner plugin, listed after `e2e`, that runs the shipped handlers inside workerd against e2e's emulator
 * server and adds their origin to `/__e2e.json` as `workerdUrl`. When the worker cannot start (dist/ not built, a
 * handler that throws at load) it says so in the log and other tests run as usual; test/e2e/workerd.test.ts then fails.
 */
export function workerdPlugin(e2e: E2eServersPlugin): Plugin {
  let workerd: Workerd | undefined;
  return {
    name: 'workerd',

    async serverStart() {
      try {
        workerd = await startWorkerd(e2e.servers().emulatorUrl);
      } catch (error) {
        console.warn('[workerd] the handlers could not start in workerd:', error);
        return;
      }
      e2e.publish({ workerdUrl: workerd.url });
    },

    async serverStop() {
      await workerd?.close();
    },
  };
}

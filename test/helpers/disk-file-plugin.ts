import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRunnerPlugin } from '@web/test-runner';

/** What the page asks for: a file of `size` random bytes, set on the `<input type=file>` matching `selector`. */
export interface DiskFileRequest {
  selector: string;
  size: number;
  name: string;
}

interface PuppeteerLikePage {
  $(selector: string): Promise<{ uploadFile(...paths: string[]): Promise<void> } | null>;
}

/**
 * A test-runner command, `mcu-disk-file`, that writes random bytes to a temporary file and puts it on a real file
 * input, as a person picking a file does. Such a File is disk-backed: large end-to-end files made in the page instead
 * live in Chromium's blob memory, whose cap makes reads fail with NotReadableError (shared/toolchain.md, pitfalls).
 */
export function diskFilePlugin(): TestRunnerPlugin {
  let directory: string | undefined;
  return {
    name: 'mcu-disk-file',
    async serverStart() {
      directory = await mkdtemp(join(tmpdir(), 'mcu-disk-files-'));
    },
    async serverStop() {
      if (directory) await rm(directory, { recursive: true, force: true });
    },
    async executeCommand({ command, payload, session }) {
      if (command !== 'mcu-disk-file') return undefined;
      const request = payload as DiskFileRequest;
      if (!/^[\w.\- ]+$/.test(request.name)) throw new Error(`Unsafe file name ${request.name}`);
      const path = join(directory!, request.name);
      const handle = await open(path, 'w');
      try {
        const chunk = 8 * 1024 * 1024;
        for (let written = 0; written < request.size; written += chunk) {
          await handle.write(randomBytes(Math.min(chunk, request.size - written)));
        }
      } finally {
        await handle.close();
      }
      const browser = session.browser as unknown as { getPage(id: string): PuppeteerLikePage };
      const input = await browser.getPage(session.id).$(request.selector);
      if (!input) throw new Error(`No element matches ${request.selector}`);
      await input.uploadFile(path);
      return true;
    },
  };
}

// A project of a new user's: the package as `npm pack` makes it, installed from the tarball next to React, Vue, Vite
// and TypeScript, with the example apps of demo/react and demo/vue copied in. Every test of the built package runs
// against this install, never against src/.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What `npm pack --json` says about the tarball. */
export interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

export interface ConsumerProject {
  dir: string;
  pack: PackReport;
  /** Runs a command in the project (or a folder of it); rejects with its output when it fails. */
  exec(command: string, args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }>;
  remove(): Promise<void>;
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

async function manifest(path: string): Promise<Manifest> {
  return JSON.parse(await readFile(path, 'utf8')) as Manifest;
}

/** Packs the package (dist/ must be built: `npm test` builds it when stale) and installs it with the example apps. */
export async function createConsumerProject(): Promise<ConsumerProject> {
  const dir = await mkdtemp(join(tmpdir(), 'mcu-consumer-'));
  const exec = async (command: string, args: string[], cwd = dir) => {
    try {
      return await run(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`, { cause: error });
    }
  };
  // The build already ran; prepack would run it again while other tests read dist/.
  const { stdout } = await exec('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT);
  const [pack] = JSON.parse(stdout) as PackReport[];
  const apps = ['react', 'vue'];
  const dependencies: Record<string, string> = {};
  const devDependencies: Record<string, string> = {};
  for (const app of apps) {
    await cp(join(ROOT, 'demo', app), join(dir, app), { recursive: true, filter: (source) => !/node_modules|[/\\]dist$/.test(source) });
    const { dependencies: runtime = {}, devDependencies: tools = {} } = await manifest(join(ROOT, 'demo', app, 'package.json'));
    Object.assign(dependencies, runtime);
    Object.assign(devDependencies, tools);
  }
  dependencies['multi-cloud-uploader'] = `file:./${pack!.filename}`;
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'mcu-consumer', private: true, type: 'module', dependencies, devDependencies }, null, 2));
  await mkdir(join(dir, 'pages'), { recursive: true });
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
  return { dir, pack: pack!, exec, remove: () => rm(dir, { recursive: true, force: true }) };
}

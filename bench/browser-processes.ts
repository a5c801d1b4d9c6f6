/**
 * The browser processes a bench started, read from /proc: which they are, their CPU time and their resident memory.
 * Only this Node process's descendants count, so other Chromiums on a shared machine never do.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** The processes descending from this Node process (the browser and its children), with their command lines. */
export function descendants(): Array<{ pid: number; stat: string; cmdline: string }> {
  const table = new Map<number, { ppid: number; stat: string; cmdline: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name, which may hold spaces: state, ppid, ….
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2);
      table.set(Number(entry), { ppid: Number(fields.split(' ')[1]), stat: fields, cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8') });
    } catch {
      // The process ended while the table was read.
    }
  }
  const ours = (pid: number): boolean => {
    for (let at = table.get(pid)?.ppid; at !== undefined && at > 1; at = table.get(at)?.ppid) if (at === process.pid) return true;
    return false;
  };
  return [...table].filter(([pid]) => ours(pid)).map(([pid, { stat, cmdline }]) => ({ pid, stat, cmdline }));
}

/** Our browser's renderer processes (`--type=renderer`). */
export function rendererPids(): number[] {
  return descendants().filter((process) => process.cmdline.includes('--type=renderer')).map((process) => process.pid);
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU time (user + system) the browser's processes have used so far: the browser, renderer (page, its workers),
 * network and GPU processes, everything this Node process started except itself.
 */
export function browserCpuMs(): number {
  let ticks = 0;
  for (const { stat } of descendants()) {
    const fields = stat.split(' ');
    // utime and stime are stat's 14th and 15th fields; `fields` starts at the 3rd.
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks / CLOCK_TICKS_PER_SECOND) * 1000;
}

/** Resident MiB of the processes `pids`. */
export function residentMiB(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      kib += Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // Gone.
    }
  }
  return kib / 1024;
}

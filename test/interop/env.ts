/**
 * Shared pieces of the interop tests: the skip reason, one namespace + TUN device per test with a
 * wirestack stack in this process (`startRun`, the code behind `wirestack run`), and processes
 * run inside the namespace (`ip netns exec`) without blocking this event loop, which drives the
 * stack.
 *
 * Addresses: the kernel side is 192.0.2.1/24 and fd00:5773::1/64, wirestack 192.0.2.2 and
 * fd00:5773::2.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tunUnavailable } from '../../src/adapters/node/netns.js';
import { parseCidr, type RunConfig, type RunHandle, startRun } from '../../src/cli/run.js';

export const K4 = '192.0.2.1';
export const K6 = 'fd00:5773::1';
export const W4 = '192.0.2.2';
export const W6 = 'fd00:5773::2';

/** The kernel-side helper (compiled next to this file). */
export const PEER = fileURLToPath(new URL('./peer.js', import.meta.url));

/** Why the interop tests cannot run here, or undefined. */
export function skipReason(tools: readonly string[] = []): string | undefined {
  const why = tunUnavailable();
  if (why !== undefined) return `interop: ${why}`;
  if (spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) return 'interop: `ip netns` does not work here';
  for (const t of tools) {
    if (spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' }).status !== 0) return `interop: ${t} is not installed`;
  }
  return undefined;
}

let seq = 0;

/** A fresh namespace and TUN device with a stack attached; `close()` removes both. */
export function attach(over: Partial<RunConfig> = {}): Promise<RunHandle & { ns: string }> {
  const k = seq++;
  const ns = `wsi-${process.pid}-${k}`;
  return startRun({
    mode: 'tun',
    device: `wsi${process.pid % 10000}x${k}`,
    netns: ns,
    createNetns: true,
    addrs: [parseCidr(`${W4}/24`), parseCidr(`${W6}/64`)],
    peerAddrs: [`${K4}/24`, `${K6}/64`],
    ...over,
  }).then((h) => Object.assign(h, { ns }));
}

export interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv inside `ns` to the end (asynchronously). */
export function execIn(ns: string, argv: readonly string[], timeoutMs = 120_000, input?: Uint8Array): Promise<Done> {
  return new Promise((resolve) => {
    const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    c.stdin.end(input);
  });
}

/** Starts argv inside `ns` and resolves once it printed a line containing `ready`. */
export function startIn(ns: string, argv: readonly string[]): Promise<{ proc: ChildProcess; done: Promise<Done> }> {
  return new Promise((resolve, reject) => {
    const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let ready = false;
    const done = new Promise<Done>((r) => c.on('close', (code) => r({ code, stdout, stderr })));
    c.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!ready && stdout.includes('ready')) {
        ready = true;
        resolve({ proc: c, done });
      }
    });
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    void done.then((r) => {
      if (!ready) reject(new Error(`${argv.join(' ')} exited (${r.code}) before it was ready: ${r.stderr}`));
    });
  });
}

/** Bytes per test from the environment (WIRESTACK_INTEROP_FULL=1: 1 GiB). */
export function bulkSizes(): { clean: number; lossy: number } {
  if (process.env['WIRESTACK_INTEROP_FULL'] === '1') return { clean: 2 ** 30, lossy: 2 ** 30 };
  return { clean: 64 * 2 ** 20, lossy: 16 * 2 ** 20 };
}

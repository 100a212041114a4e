/**
 * Runs a page in headless Chromium and reads its `#result` element, over the DevTools protocol on
 * `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-separated JSON): no browser download, no
 * client library. The page runs on real time; console output and uncaught exceptions are kept for
 * the report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** The first Chromium-family binary on PATH ($CHROMIUM first), or undefined. */
export function findChromium(): string | undefined {
  const names = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
  for (const n of names) {
    if (n === undefined || n === '') continue;
    const r = spawnSync('sh', ['-c', `command -v "${n.replace(/"/g, '')}"`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

export interface PageRun {
  /** `data-status` of `#result` when the run ended (`timeout` when it never left `running`). */
  status: string;
  /** The text of `#result`. */
  text: string;
  /** Console messages and uncaught exceptions, in order. */
  log: string[];
}

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
  params?: Record<string, unknown>;
}

/** Opens `htmlPath` in headless Chromium and waits (up to `timeoutMs`) for `#result` to settle. */
export async function runPage(chromium: string, htmlPath: string, timeoutMs = 60_000): Promise<PageRun> {
  const profile = mkdtempSync(join(tmpdir(), 'wirestack-chromium-'));
  const child = spawn(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--remote-debugging-pipe',
      `--user-data-dir=${profile}`,
      pathToFileURL(htmlPath).href,
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const toChrome = child.stdio[3] as Writable;
  const fromChrome = child.stdio[4] as Readable;
  const log: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let nextId = 1;
  const waiting = new Map<number, { resolve: (m: CdpMessage) => void; reject: (e: Error) => void }>();
  let pending = '';
  fromChrome.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    let i: number;
    while ((i = pending.indexOf('\0')) >= 0) {
      const msg = JSON.parse(pending.slice(0, i)) as CdpMessage;
      pending = pending.slice(i + 1);
      if (msg.id !== undefined) {
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if (msg.error) w?.reject(new Error(msg.error.message));
        else w?.resolve(msg);
      } else if (msg.method === 'Runtime.consoleAPICalled') {
        const args = (msg.params?.args as { value?: unknown; description?: string }[] | undefined) ?? [];
        log.push(`console.${String(msg.params?.type)}: ${args.map((a) => a.description ?? String(a.value)).join(' ')}`);
      } else if (msg.method === 'Runtime.exceptionThrown') {
        const d = msg.params?.exceptionDetails as { text?: string; exception?: { description?: string } } | undefined;
        log.push(`uncaught: ${d?.exception?.description ?? d?.text ?? '?'}`);
      }
    }
  });
  const exited = new Promise<void>((res) => child.on('exit', () => res()));
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<CdpMessage> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      toChrome.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  };
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const deadline = Date.now() + timeoutMs;
  try {
    let targetId: string | undefined;
    while (targetId === undefined) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no page target; chromium said: ${stderr}`);
      const infos = (await send('Target.getTargets')).result?.targetInfos as { targetId: string; type: string }[];
      targetId = infos.find((t) => t.type === 'page')?.targetId;
      if (targetId === undefined) await sleep(100);
    }
    const sessionId = (await send('Target.attachToTarget', { targetId, flatten: true })).result?.sessionId as string;
    await send('Runtime.enable', {}, sessionId);
    const probe =
      "(() => { const e = document.getElementById('result'); return e ? JSON.stringify([e.dataset.status, e.textContent]) : JSON.stringify(['loading', '']); })()";
    for (;;) {
      const r = await send('Runtime.evaluate', { expression: probe, returnByValue: true }, sessionId);
      const [status, text] = JSON.parse((r.result?.result as { value: string }).value) as [string, string];
      if ((status !== 'running' && status !== 'loading') || Date.now() > deadline) {
        return { status: status === 'running' || status === 'loading' ? 'timeout' : status, text, log };
      }
      await sleep(200);
    }
  } finally {
    try {
      await Promise.race([send('Browser.close'), sleep(2000)]);
    } catch {
      // the browser is gone already
    }
    await Promise.race([exited, sleep(3000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const w of waiting.values()) w.reject(new Error('chromium closed'));
    rmSync(profile, { recursive: true, force: true });
  }
}

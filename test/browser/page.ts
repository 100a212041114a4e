/**
 * The browser proof's page script: two stacks on a memory cable inside the page exchange 1 MiB of
 * TCP (checked byte for byte) over IPv4 and IPv6 and a UDP round trip, then write the outcome as
 * JSON into `#result` (`data-status` is `done` or `error`). Bundled by `bundle.ts` for the browser.
 */
import { exchange, type ExchangeResult, world } from './world.js';

interface Element {
  textContent: string | null;
  setAttribute(name: string, value: string): void;
}
interface PageGlobals {
  document: { getElementById(id: string): Element | null };
  navigator?: { userAgent: string };
}

const TCP_BYTES = 1 << 20;

async function main(): Promise<void> {
  const g = globalThis as unknown as PageGlobals;
  const out = g.document.getElementById('result')!;
  try {
    const runs: Record<string, ExchangeResult> = {};
    for (const remote of ['10.0.0.2', '2001:db8::b']) {
      const w = world();
      try {
        runs[remote] = await exchange(w, TCP_BYTES, remote, (step) => console.log(step));
      } finally {
        w.stop();
      }
    }
    out.textContent = JSON.stringify({ userAgent: g.navigator?.userAgent ?? '', hasProcess: 'process' in globalThis, runs });
    out.setAttribute('data-status', 'done');
  } catch (e) {
    out.textContent = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    out.setAttribute('data-status', 'error');
  }
}

// Only in a page: `node --test dist/test` also loads this file, where it must do nothing.
if ('document' in globalThis) void main();

/**
 * The browser proof: the page script (test/browser/page.ts: two stacks on a memory cable in the
 * page, TCP 1 MiB byte-exact over IPv4 and IPv6, UDP round trips) bundled with esbuild-wasm for
 * `platform: 'browser'` and run in headless Chromium over the DevTools pipe. Also checks that the
 * bundle step refuses Node built-ins. The Chromium test skips, saying why, when no binary is found.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkoutRoot } from '../../paths.js';
import { buildPage, bundleForBrowser, stopBundler } from '../../browser/bundle.js';
import { findChromium, runPage } from '../../browser/chromium.js';
import type { ExchangeResult } from '../../browser/world.js';

const work = mkdtempSync(join(tmpdir(), 'wirestack-web-'));
after(async () => {
  await stopBundler();
  rmSync(work, { recursive: true, force: true });
});

describe('browser bundle', () => {
  for (const spec of ['node:fs', 'fs', 'node:perf_hooks']) {
    test(`a module importing "${spec}" does not bundle for the browser`, async () => {
      const entry = join(work, `bad-${spec.replace(/\W/g, '_')}.ts`);
      writeFileSync(entry, `import * as m from '${spec}';\nconsole.log(Object.keys(m).length);\n`);
      await assert.rejects(bundleForBrowser(entry), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, new RegExp(`"${spec}" is a Node built-in`));
        return true;
      });
    });
  }

  test('a module reaching a Node built-in through an import fails too (the realtime driver)', async () => {
    const entry = join(work, 'indirect.ts');
    const driver = join(checkoutRoot(), 'src', 'driver', 'realtime.js');
    writeFileSync(entry, `import { RealtimeDriver } from ${JSON.stringify(driver)};\nconsole.log(RealtimeDriver);\n`);
    await assert.rejects(bundleForBrowser(entry), /"node:perf_hooks" is a Node built-in/);
  });

  test('src/api/web bundles for the browser', async () => {
    const r = await bundleForBrowser(join(checkoutRoot(), 'src', 'api', 'web', 'index.ts'));
    assert.ok(r.js.includes('connectTcp'), 'the bundle holds the API');
    assert.deepEqual(r.warnings, []);
  });
});

const chromium = findChromium();
const skip = chromium === undefined ? 'no chromium binary found (install the Debian package `chromium`, or set $CHROMIUM)' : false;
if (skip) process.stdout.write(`# browser.test: skipping the Chromium run: ${skip}\n`);

describe('headless Chromium', () => {
  test('two stacks in the page exchange TCP (1 MiB, byte-exact) and UDP', { skip, timeout: 180_000 }, async () => {
    const html = await buildPage(join(work, 'page'));
    const run = await runPage(chromium!, html, 120_000);
    const context = `page said: ${run.text.slice(0, 2000)}\nlog:\n${run.log.join('\n')}`;
    assert.equal(run.status, 'done', context);
    const r = JSON.parse(run.text) as { userAgent: string; hasProcess: boolean; runs: Record<string, ExchangeResult> };
    assert.match(r.userAgent, /Chrome/);
    assert.equal(r.hasProcess, false, 'the page must run in the browser, without Node globals');
    assert.deepEqual(Object.keys(r.runs).sort(), ['10.0.0.2', '2001:db8::b']);
    for (const [remote, x] of Object.entries(r.runs)) {
      assert.equal(x.tcpSent, 1 << 20);
      assert.equal(x.tcpReceived, x.tcpSent, `${remote}: bytes echoed`);
      assert.equal(x.tcpMismatchAt, -1, `${remote}: first differing byte`);
      assert.equal(x.udpReply, 'pong:ping');
      assert.equal(x.udpFrom, `${remote}:9`);
    }
  });
});

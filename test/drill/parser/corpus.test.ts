/**
 * Every public packetdrill script must parse: the google corpus (177 scripts) and the reference
 * scripts (7) under the shared folder, read in place as test data. Each parsed script must also
 * print back (formatScript / formatEvent) to text that parses to the same tree.
 */

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { formatEvent, formatScript, parseScript, type Script } from '../../../src/drill/parser/index.js';
import { variantConfig } from '../../../src/drill/variants.js';
import { sharedDir } from '../../paths.js';

function pktFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...pktFiles(p));
    else if (e.name.endsWith('.pkt')) out.push(p);
  }
  return out.sort();
}

/**
 * The defines the google runner passes (src/drill/variants.ts), per IP version. The PSP scripts also
 * need `-D MSS=<n>` from their own runner (not part of the corpus); any valid MSS will do here.
 */
const DEFINES = {
  ipv4: { ...variantConfig('ipv4').defines, MSS: '1460' },
  ipv6: { ...variantConfig('ipv6').defines, MSS: '1440' },
} as const;

/** Drops positions (and the file name), for comparing trees parsed from different text. */
function shape(v: unknown): unknown {
  if (v instanceof Map) return [...v.entries()];
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'line' && k !== 'col' && k !== 'file' && k !== 'defines' && x !== undefined) o[k] = shape(x);
    }
    return o;
  }
  return v;
}

const shared = sharedDir();
const pd = shared === undefined ? undefined : join(shared, 'packetdrill');
const available =
  pd !== undefined && existsSync(join(pd, 'corpus', 'google')) && existsSync(join(pd, 'reference'));
const MISSING = `packetdrill corpus not found (looked in ${pd ?? 'no shared folder'}; set WIRESTACK_SHARED)`;

describe('packetdrill corpus', () => {
  const corpus = available ? pktFiles(join(pd!, 'corpus', 'google')) : [];
  const reference = available ? pktFiles(join(pd!, 'reference')) : [];
  const all = [...corpus, ...reference];
  const texts = new Map(all.map((f) => [f, readFileSync(f, 'utf8')]));
  const parsed = new Map<string, Script>();

  for (const version of ['ipv4', 'ipv6'] as const) {
    test(`every script parses (${version} defines)`, (t) => {
      if (!available) {
        console.log(`SKIP: ${MISSING}`);
        t.skip(MISSING);
        return;
      }
      assert.ok(corpus.length >= 177, `expected the 177 google scripts, found ${corpus.length}`);
      assert.ok(reference.length >= 7, `expected the 7 reference scripts, found ${reference.length}`);
      const failures: string[] = [];
      const t0 = performance.now();
      for (const f of all) {
        const r = parseScript(texts.get(f)!, { file: relative(pd!, f), defines: DEFINES[version] });
        if (r.ok) {
          if (version === 'ipv4') parsed.set(f, r.script);
        } else failures.push(r.error.message);
      }
      const ms = performance.now() - t0;
      const bytes = [...texts.values()].reduce((n, s) => n + s.length, 0);
      console.log(
        `parsed ${all.length} scripts (${corpus.length} google + ${reference.length} reference, ${bytes} bytes) in ${ms.toFixed(1)} ms`,
      );
      assert.deepEqual(failures, [], `${failures.length} scripts failed to parse:\n${failures.join('\n')}`);
    });
  }

  test('parsing the corpus again (warm) is fast', (t) => {
    if (!available) {
      t.skip(MISSING);
      return;
    }
    const t0 = performance.now();
    for (const [f, text] of texts) parseScript(text, { file: f, defines: DEFINES.ipv4 });
    console.log(`warm parse of ${texts.size} scripts: ${(performance.now() - t0).toFixed(1)} ms`);
  });

  test('formatScript round trip: the printed script parses to the same tree', (t) => {
    if (!available) {
      t.skip(MISSING);
      return;
    }
    assert.equal(parsed.size, all.length, 'every script parsed');
    const bad: string[] = [];
    for (const [f, script] of parsed) {
      const printed = formatScript(script);
      const again = parseScript(printed, { file: `${f} (printed)` });
      if (!again.ok) bad.push(again.error.message);
      else if (JSON.stringify(shape(again.script)) !== JSON.stringify(shape(script)))
        bad.push(`${f}: tree differs`);
    }
    assert.deepEqual(bad, []);
  });

  test('formatEvent round trip on every corpus event line', (t) => {
    if (!available) {
      t.skip(MISSING);
      return;
    }
    let events = 0;
    const bad: string[] = [];
    for (const [f, script] of parsed) {
      for (const ev of script.events) {
        events++;
        const line = formatEvent(ev);
        const again = parseScript(line, { file: `${f}:${ev.line}` });
        if (!again.ok) bad.push(again.error.message);
        else if (JSON.stringify(shape(again.script.events[0])) !== JSON.stringify(shape(ev)))
          bad.push(`${f}:${ev.line}: ${line}`);
      }
    }
    console.log(`${events} corpus events printed and parsed back`);
    assert.ok(events > 4000, `${events} events`);
    assert.deepEqual(bad, []);
  });

  test('every node of every parsed script carries line and col', (t) => {
    if (!available) {
      t.skip(MISSING);
      return;
    }
    let nodes = 0;
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      } else if (v !== null && typeof v === 'object' && !(v instanceof Map)) {
        const o = v as Record<string, unknown>;
        nodes++;
        assert.ok(Number.isInteger(o.line) && Number.isInteger(o.col), `no position at ${path}`);
        for (const [k, x] of Object.entries(o)) walk(x, `${path}.${k}`);
      }
    };
    for (const [f, script] of parsed) walk(script, f);
    console.log(`${nodes} nodes checked`);
  });

  test('PSP scripts need their MSS define, as in packetdrill', (t) => {
    const psp = corpus.filter((f) => f.includes('/psp/'));
    if (!available || psp.length === 0) {
      t.skip(MISSING);
      return;
    }
    const defines = Object.fromEntries(Object.entries(DEFINES.ipv4).filter(([k]) => k !== 'MSS'));
    const r = parseScript(texts.get(psp[0]!)!, { file: 'psp.pkt', defines });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error.message, /expected an MSS value, found word 'MSS'$/);
  });
});

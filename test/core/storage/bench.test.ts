import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storageBenchSink, storageSuite } from '../../../src/bench/storage.js';

test('storage bench cases run and name existing baselines', () => {
  const cases = storageSuite.cases();
  const names = new Set(cases.map((c) => c.name));
  assert.equal(names.size, cases.length);
  for (const c of cases) {
    if (c.baseline !== undefined) assert.ok(names.has(c.baseline), c.baseline);
    for (let i = 0; i < 50; i++) c.fn!();
  }
  assert.ok(storageBenchSink() > 0);
});

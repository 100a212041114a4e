/** The dependency rules for src/api/web must be able to fail: a web file importing node:fs and the realtime driver. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkoutRoot } from '../../paths.js';

const root = checkoutRoot();

test('dependency-cruiser refuses Node built-ins and the Node realtime driver in src/api/web', () => {
  const dir = mkdtempSync(join(root, 'src', 'api', 'web', 'tmp-layer-'));
  try {
    writeFileSync(
      join(dir, 'bad.ts'),
      "import { readFileSync } from 'node:fs';\nimport { RealtimeDriver } from '../../../driver/realtime.js';\nexport const x = [readFileSync, RealtimeDriver];\n",
    );
    let out = '';
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'depcruise'), [dir, '--config', '.dependency-cruiser.cjs'], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      assert.fail('dependency-cruiser passed a web file importing node:fs and the realtime driver');
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    assert.match(out, /web-api-no-platform/);
    assert.match(out, /web-api-no-node-layers/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The layer rules must be able to fail: lint a core file that uses platform globals, and run
 * dependency-cruiser over a core file that imports node:fs and an upper layer.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { checkoutRoot } from '../paths.js';

const root = checkoutRoot();

test('ESLint bans platform globals and Math.random in src/core, not elsewhere', async () => {
  const eslint = new ESLint({ cwd: root });
  const code = 'export const t = Date.now() + Math.random() + performance.now();\nsetTimeout(() => {}, 1);\n';
  const [core] = await eslint.lintText(code, { filePath: join(root, 'src/core/util/fake.ts') });
  const rules = core!.messages.map((m) => m.ruleId).sort();
  assert.deepEqual(rules, [
    'no-restricted-globals',
    'no-restricted-globals',
    'no-restricted-globals',
    'no-restricted-properties',
  ]);
  const [cli] = await eslint.lintText(code, { filePath: join(root, 'src/cli/fake.ts') });
  assert.deepEqual(cli!.messages, []);
});

test('dependency-cruiser refuses platform imports and upward imports from src/core', () => {
  const dir = mkdtempSync(join(root, 'src', 'core', 'tmp-layer-'));
  try {
    writeFileSync(
      join(dir, 'bad.ts'),
      "import { readFileSync } from 'node:fs';\nimport { run } from '../../cli/main.js';\nexport const x = [readFileSync, run];\n",
    );
    let out = '';
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'depcruise'), [dir, '--config', '.dependency-cruiser.cjs'], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      assert.fail('dependency-cruiser passed a core file importing node:fs and src/cli');
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
    assert.match(out, /core-no-platform/);
    assert.match(out, /core-no-upper-layer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dependency-cruiser refuses a value import cycle, allows one closed by a type import', () => {
  const dir = mkdtempSync(join(root, 'src', 'core', 'tmp-cycle-'));
  const cruise = (): string => {
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'depcruise'), [dir, '--config', '.dependency-cruiser.cjs'], {
        cwd: root,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      return '';
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e);
    }
  };
  try {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n");
    writeFileSync(join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = (): number => (a ? 1 : 0);\n");
    assert.match(cruise(), /no-circular/);
    writeFileSync(join(dir, 'b.ts'), "import type { a } from './a.js';\nexport const b = (f?: typeof a): number => (f ? 1 : 0);\n");
    assert.doesNotMatch(cruise(), /no-circular/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

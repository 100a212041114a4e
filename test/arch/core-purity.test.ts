/**
 * src/core is sans-IO and deterministic. dependency-cruiser checks its imports and an ESLint override
 * bans platform globals and Math.random; this test catches the rest: `Math.random` again, `globalThis`
 * reach-arounds and dynamic `import()` in core.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { checkoutRoot } from '../paths.js';

const root = checkoutRoot();
const coreDir = join(root, 'src', 'core');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Problems found in one source text: `file:line: message`. */
export function corePurityViolations(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (n: ts.Node, msg: string) =>
    found.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${msg}`);
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
      if (n.expression.text === 'Math' && n.name.text === 'random') at(n, 'Math.random (inject an Rng)');
    }
    if (ts.isIdentifier(n) && n.text === 'globalThis') {
      const parent = n.parent;
      const isDeclName =
        parent && (ts.isVariableDeclaration(parent) || ts.isParameter(parent)) && parent.name === n;
      const isMember = parent && ts.isPropertyAccessExpression(parent) && parent.name === n;
      if (!isDeclName && !isMember) at(n, `${n.text} (platform reach-around)`);
    }
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword)
      at(n, 'dynamic import()');
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

test('src/core uses no Math.random, globalThis or dynamic import', () => {
  const files = tsFiles(coreDir);
  assert.ok(files.length > 0, 'no core sources found');
  const problems = files.flatMap((f) => corePurityViolations(relative(root, f), readFileSync(f, 'utf8')));
  assert.deepEqual(problems, []);
});

test('the purity check does catch violations', () => {
  const bad = 'export const r = () => Math.random() + globalThis.x; const m = import("x");';
  assert.equal(corePurityViolations('bad.ts', bad).length, 3);
  assert.deepEqual(corePurityViolations('ok.ts', 'const m = Math.max(1, 2); export const y = m;'), []);
});

#!/usr/bin/env node
// Bundles the web-streams API's browser proof page (test/browser/page.ts) with esbuild-wasm for
// the browser into OUT_DIR (default dist/browser): page.js and a self-contained page.html. Fails
// when anything the page imports uses a Node built-in. Run after `npm run build` (the bundler
// module is compiled from test/browser/bundle.ts): `npm run bundle:web [-- OUT_DIR]`.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { buildPage, stopBundler } = await import(pathToFileURL(join(root, 'dist', 'test', 'browser', 'bundle.js')).href);
const out = resolve(process.argv[2] ?? join(root, 'dist', 'browser'));
try {
  process.stdout.write(`${await buildPage(out)}\n`);
} catch (e) {
  process.stderr.write(`bundle:web failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await stopBundler();
}

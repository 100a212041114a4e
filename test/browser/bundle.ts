/**
 * Bundles the browser page (`page.ts` and everything it imports, `src/api/web` and the core) with
 * esbuild-wasm for `platform: 'browser'`, and writes a self-contained `page.html` with the script
 * inlined (a classic script: it runs from a file:// URL). Any import of a Node built-in fails the
 * bundle: esbuild cannot resolve them for the browser, and the plugin below names the culprit.
 *
 * CLI: `npm run bundle:web [-- OUT_DIR]` (scripts/browser/bundle.mjs), default `dist/browser`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import * as esbuild from 'esbuild-wasm';
import { checkoutRoot } from '../paths.js';

const NODE_BUILTIN = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})(/.*)?$`);

/** Fails the build on any import of a Node built-in, naming the importer. */
const noNodeBuiltins: esbuild.Plugin = {
  name: 'no-node-builtins',
  setup(build) {
    build.onResolve({ filter: NODE_BUILTIN }, (args) => ({
      errors: [{ text: `"${args.path}" is a Node built-in, imported by ${args.importer}: browser code must not use it` }],
    }));
  },
};

export interface BundleResult {
  /** The bundled script. */
  js: string;
  /** esbuild's warnings, formatted. */
  warnings: string[];
}

/** Bundles `entry` (a .ts file) for the browser; rejects with esbuild's errors. */
export async function bundleForBrowser(entry: string): Promise<BundleResult> {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  });
  const warnings = await esbuild.formatMessages(r.warnings, { kind: 'warning' });
  return { js: r.outputFiles[0]!.text, warnings };
}

/** The page: one `#result` element the script fills, the script inlined. */
export function pageHtml(js: string): string {
  const safe = js.replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>wirestack web-streams proof</title></head>
<body><pre id="result" data-status="running">running</pre>
<script>${safe}</script>
</body></html>
`;
}

/** Bundles the proof page into `outDir` (page.js and page.html); returns the page's path. */
export async function buildPage(outDir: string): Promise<string> {
  const { js } = await bundleForBrowser(join(checkoutRoot(), 'test', 'browser', 'page.ts'));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'page.js'), js);
  const html = join(outDir, 'page.html');
  writeFileSync(html, pageHtml(js));
  return html;
}

/** Stops esbuild's service (lets the process exit). */
export async function stopBundler(): Promise<void> {
  await esbuild.stop();
}

/**
 * `wirestack run`: usage and setup errors are one line on stderr with exit code 2 (not root, a
 * missing namespace, a bad device name), and `--connect` relays stdin to a Linux echo server in a
 * namespace and prints the answer. The root-only parts skip with the reason elsewhere.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addNetns, delNetns } from '../../src/adapters/node/netns.js';
import { K4, skipReason } from './env.js';

const RUN = fileURLToPath(new URL('../../src/cli/run.js', import.meta.url));
const MAIN = `import { Command } from 'commander';
const { registerRun } = await import(process.env.WS_RUN);
const p = new Command().exitOverride(); let code = 0;
p.hook('postAction', (_t, a) => { code = a.exitCode ?? 0; });
registerRun(p);
try { await p.parseAsync(process.argv.slice(1), { from: 'user' }); } catch { code = 2; }
process.exit(code);`;

/** Runs `wirestack run ARGS` (the registered subcommand) in a child; optionally as nobody. */
function cli(
  args: string[],
  opts: { nobody?: boolean; input?: string } = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const node = [process.execPath, '--input-type=module', '-e', MAIN, 'run', ...args];
  const argv = opts.nobody
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', ...node]
    : node;
  return new Promise((resolve) => {
    const c = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, WS_RUN: RUN },
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) => resolve({ code, out, err }));
    c.stdin.end(opts.input);
  });
}

test('wirestack run: usage errors exit 2 with one line', async () => {
  const r = await cli(['--addr', '192.0.2.2/24', '--echo', '7']);
  assert.equal(r.code, 2);
  assert.equal(r.err, 'wirestack run: give one of --tun NAME or --tap NAME\n');
  const n = await cli(['--tun', 'x', '--addr', '192.0.2.2/24']);
  assert.equal(n.code, 2);
  assert.match(n.err, /^wirestack run: nothing to do/);
});

test('wirestack run: not root, no namespace, bad device name: exit 2, one line', async (t) => {
  const why = skipReason();
  if (why !== undefined) {
    console.log(`# skipped: ${why}`);
    t.skip(why);
    return;
  }
  // As nobody (where nobody can run node and read the build; a checkout under /root may not be).
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath];
  const probe = spawnSync('setpriv', [...asNobody, '--input-type=module', '-e', `await import(${JSON.stringify(RUN)})`], {
    stdio: 'ignore',
  });
  if (probe.status !== 0) console.log('# not-root case skipped: setpriv is missing or nobody cannot load the build');
  else {
    const r = await cli(['--tun', 'wsx0', '--addr', '192.0.2.2/24', '--echo', '7'], { nobody: true });
    assert.equal(r.code, 2, r.err);
    assert.equal(r.err, 'wirestack run: needs root (creates TUN/TAP devices and network namespaces)\n');
  }
  const ns = await cli(['--tun', 'wsx0', '--netns', `wsi-missing-${process.pid}`, '--addr', '192.0.2.2/24', '--echo', '7']);
  assert.equal(ns.code, 2);
  assert.match(ns.err, /^wirestack run: network namespace wsi-missing-\d+ does not exist \(add --create-netns\)\n$/);
  const bad = await cli(['--tun', 'a-name-far-too-long-for-linux', '--addr', '192.0.2.2/24', '--echo', '7']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^wirestack run: bad interface name: "a-name-far-too-long-for-linux".*\n$/);
});

test('wirestack run --connect: relays stdin to a Linux echo server and prints the answer', async (t) => {
  const why = skipReason(['socat']);
  if (why !== undefined) {
    console.log(`# skipped: ${why}`);
    t.skip(why);
    return;
  }
  // The namespace exists first (with a kernel echo server on a device address the CLI adds).
  const ns = `wsi-${process.pid}-cli`;
  addNetns(ns);
  try {
    const dev = `wsc${process.pid % 10000}`;
    const echo = spawn('ip', ['netns', 'exec', ns, 'socat', 'TCP-LISTEN:7007,fork,reuseaddr', 'EXEC:cat'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100; i++) {
        const ss = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Hltn', 'sport = :7007'], { encoding: 'utf8' });
        if (ss.stdout.trim() !== '') break;
        spawnSync('sleep', ['0.05']);
      }
      const r = await cli(
        ['--tun', dev, '--netns', ns, '--addr', '192.0.2.2/24', '--peer-addr', `${K4}/24`, '--connect', `${K4}:7007`],
        { input: 'hello through the kernel\n' },
      );
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, 'hello through the kernel\n');
    } finally {
      echo.kill();
    }
  } finally {
    delNetns(ns);
  }
});

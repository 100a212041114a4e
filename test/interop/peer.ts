/**
 * The kernel side of the interop tests, run inside the namespace with `ip netns exec ... node
 * peer.js MODE ...` over ordinary Linux sockets (node:net / node:http):
 *
 *   http PORT              the built-in HTTP app (GET /, GET /bytes/N, POST /sha256) on [::]
 *   sink PORT              accept one connection, read to EOF, print "<sha256> <bytes> <ms>"
 *   source HOST PORT N     connect, send N pattern bytes, half-close, read to EOF (the other
 *                          side's report), print it
 *
 * Each prints "ready" once it listens (or before it connects).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fillPattern, httpApp } from '../../src/cli/run.js';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'http') {
  const app = httpApp();
  app.listen(Number(args[0]), '::', () => console.log('ready'));
} else if (mode === 'sink') {
  const srv = net.createServer((s) => {
    const h = createHash('sha256');
    let n = 0;
    const t0 = performance.now();
    s.on('data', (d) => {
      h.update(d);
      n += d.length;
    });
    s.on('end', () => {
      const line = `${h.digest('hex')} ${n} ${(performance.now() - t0).toFixed(1)}`;
      s.end(`${line}\n`);
      console.log(line);
      srv.close();
    });
  });
  srv.listen(Number(args[0]), '::', () => console.log('ready'));
} else if (mode === 'source') {
  const [host, port, total] = [args[0]!, Number(args[1]), Number(args[2])];
  console.log('ready');
  const s = net.connect({ host, port });
  let off = 0;
  let reply = '';
  const pump = (): void => {
    while (off < total) {
      const len = Math.min(256 * 1024, total - off);
      const c = new Uint8Array(len);
      fillPattern(c, off);
      off += len;
      if (!s.write(c)) {
        s.once('drain', pump);
        return;
      }
    }
    s.end();
  };
  s.on('connect', pump);
  s.on('data', (d) => (reply += d.toString()));
  s.on('end', () => console.log(reply.trim()));
  s.on('error', (e) => {
    console.error(e.message);
    process.exitCode = 1;
  });
} else if (mode !== undefined) {
  // (Without arguments, e.g. when a test runner loads every file under test/, it does nothing.)
  console.error('usage: peer.js http PORT | sink PORT | source HOST PORT N');
  process.exitCode = 2;
}

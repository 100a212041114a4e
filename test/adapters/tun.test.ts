/**
 * TUN interop: the real Linux kernel as the peer. Each case creates a fresh network namespace,
 * runs this same file inside it as a child (`ip netns exec <ns> node <this file>` with
 * WS_TUN_CHILD set), which opens a TUN device there, gives the kernel side 192.0.2.1/24 and
 * fd00:5773::1/64 and a wirestack Stack 192.0.2.2 and fd00:5773::2, then checks that
 * - the kernel's `ping` and `ping -6` get replies from wirestack,
 * - a kernel UDP socket (node:dgram) and a wirestack UdpSocket exchange datagrams, both families.
 * The child prints one JSON line of results; the namespace is always deleted.
 * Needs root and /dev/net/tun; otherwise the cases are skipped with the reason.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Stack } from '../../src/core/stack/stack.js';
import { UdpPeer } from '../../src/core/stack/udp.js';
import { parseIpv6 } from '../../src/core/wire/address.js';
import { errnoName } from '../../src/adapters/node/libc.js';
import { TapLink, TunLink } from '../../src/adapters/node/tun.js';
import { TimerReadiness } from '../../src/adapters/node/readiness.js';
import { RealtimeDriver } from '../../src/driver/realtime.js';

const self = fileURLToPath(import.meta.url);
const CHILD = process.env['WS_TUN_CHILD'];

interface ChildResult {
  mode: string;
  readiness: string;
  ping4: { transmitted: number; received: number; rtt: string };
  ping6: { transmitted: number; received: number; rtt: string };
  udp4: string[];
  udp6: string[];
  stats: Record<string, number>;
  /** vnet only: [InSegs delta, OutRsts delta] for the IPv4 then the IPv6 TSO segment. */
  tso: number[];
  rxFrames: number;
  txFrames: number;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 8000 }, (_err, stdout, stderr) => resolve(String(stdout) + String(stderr)));
  });
}

function pingSummary(out: string): { transmitted: number; received: number; rtt: string } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  const r = /= ([\d.]+\/[\d.]+\/[\d.]+\/[\d.]+) ms/.exec(out);
  return { transmitted: m ? Number(m[1]) : 0, received: m ? Number(m[2]) : 0, rtt: r ? r[1]! : out.trim() };
}

function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const check = (): void => {
      if (cond()) resolve(true);
      else if (Date.now() - t0 > ms) resolve(false);
      else setTimeout(check, 2);
    };
    check();
  });
}

/** The kernel's Tcp InSegs and OutRsts (this namespace). */
function tcpMib(): { InSegs: number; OutRsts: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Tcp:'));
  const keys = lines[0]!.split(/\s+/);
  const vals = lines[1]!.split(/\s+/).map(Number);
  return { InSegs: vals[keys.indexOf('InSegs')]!, OutRsts: vals[keys.indexOf('OutRsts')]! };
}

/** An ACK from [192.0.2.2|fd00:5773::2]:7777 to port 9 of the kernel with `payload` bytes. */
function bigTcpSegment(v: 4 | 6, payload: number): Uint8Array {
  const ipLen = v === 4 ? 20 : 40;
  const p = new Uint8Array(ipLen + 20 + payload);
  if (v === 4) {
    p.set([0x45, 0, (p.length >>> 8) & 0xff, p.length & 0xff, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 2, 192, 0, 2, 1]);
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += (p[i]! << 8) | p[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    p[10] = (~s >>> 8) & 0xff;
    p[11] = ~s & 0xff;
  } else {
    const pay = 20 + payload;
    p.set([0x60, 0, 0, 0, (pay >>> 8) & 0xff, pay & 0xff, 6, 64]);
    parseIpv6('fd00:5773::2', p, 8);
    parseIpv6('fd00:5773::1', p, 24);
  }
  const t = ipLen;
  p.set([0x1e, 0x61, 0, 9, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0x50, 0x10, 0xff, 0xff], t);
  for (let i = t + 20; i < p.length; i++) p[i] = i & 0xff;
  return p;
}

async function childMain(mode: string): Promise<void> {
  const ip = (...a: string[]): void => {
    execFileSync('ip', a, { stdio: 'pipe' });
  };
  const driver = new RealtimeDriver();
  const open = mode === 'tap' || mode === 'tap-vnet' ? TapLink.open : TunLink.open;
  const link = open({
    name: 'wstun0',
    vnetHdr: mode === 'vnet' || mode === 'tap-vnet',
    clock: () => driver.now(),
    onInput: () => driver.kick(),
    ...(mode === 'timer' ? { readiness: () => new TimerReadiness({ maxIdleMs: 2 }) } : {}),
  });
  ip('link', 'set', 'lo', 'up');
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'wstun0');
  ip('-6', 'addr', 'add', 'fd00:5773::1/64', 'dev', 'wstun0', 'nodad');
  ip('link', 'set', 'wstun0', 'up');
  const stack = new Stack({ name: 'ws', now: driver.now() });
  const mac = new Uint8Array([2, 0x57, 0x53, 0, 0, 2]);
  const iface = stack.addInterface(link, link.caps.medium === 'ethernet' ? { name: 'tap0', mac } : { name: 'tun0' });
  assert.equal(stack.addAddress(iface.index, 0xc0000202, 24), 0);
  const a6 = new Uint8Array(16);
  parseIpv6('fd00:5773::2', a6);
  assert.equal(stack.addAddress(iface.index, a6, 64), 0);
  driver.add(stack, [link]);
  driver.start();

  const ping4 = pingSummary(await run('ping', ['-n', '-c', '3', '-i', '0.2', '-W', '2', '192.0.2.2']));
  const ping6 = pingSummary(await run('ping', ['-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', 'fd00:5773::2']));

  // UDP: the kernel sends, wirestack echoes back upper-cased; both families.
  const echo = async (family: 4 | 6): Promise<string[]> => {
    const ws = stack.udp.socket(family, family === 6 ? { v6only: true } : {});
    assert.equal(ws.bind(undefined, 7000), 0);
    const k: DgramSocket = createSocket(family === 4 ? 'udp4' : 'udp6');
    const got: string[] = [];
    k.on('message', (m) => got.push(m.toString()));
    await new Promise<void>((r) => k.bind(0, family === 4 ? '192.0.2.1' : 'fd00:5773::1', r));
    const peer = new UdpPeer();
    const buf = new Uint8Array(2048);
    const dst = family === 4 ? '192.0.2.2' : 'fd00:5773::2';
    for (let i = 0; i < 3; i++) {
      k.send(`hello ${family} #${i}`, 7000, dst);
      const ok = await waitFor(() => ws.nextLength() >= 0, 2000);
      if (!ok) break;
      const n = ws.recvFrom(buf, 0, buf.length, peer);
      const text = new TextDecoder().decode(buf.subarray(0, n)).toUpperCase();
      const out = new TextEncoder().encode(text);
      assert.equal(ws.sendTo(out, 0, out.length, driver.now(), peer.addr(), peer.port), out.length);
      driver.kick();
      await waitFor(() => got.length > i, 2000);
    }
    k.close();
    ws.close();
    return got;
  };
  const udp4 = await echo(4);
  const udp6 = await echo(6);
  // With offloads: a 20000-byte TCP segment (ACK to a closed port) with a TSO request. The kernel
  // takes it in (a bad virtio-net header fails the write with EINVAL) and answers with a RST.
  const tso: number[] = [];
  if (mode === 'vnet' || mode === 'tap-vnet') {
    for (const v of [4, 6] as const) {
      const before = tcpMib();
      let pkt = bigTcpSegment(v, 20000);
      if (link.caps.medium === 'ethernet') {
        const f = new Uint8Array(14 + pkt.length);
        const kmac = readFileSync('/sys/class/net/wstun0/address', 'utf8').trim().split(':');
        for (let i = 0; i < 6; i++) f[i] = parseInt(kmac[i]!, 16);
        f.set(mac, 6);
        f[12] = v === 4 ? 0x08 : 0x86;
        f[13] = v === 4 ? 0x00 : 0xdd;
        f.set(pkt, 14);
        pkt = f;
      }
      assert.equal(link.transmit(pkt, 0, pkt.length, driver.now()), true);
      await waitFor(() => tcpMib().OutRsts > before.OutRsts, 2000);
      const afterMib = tcpMib();
      tso.push(afterMib.InSegs - before.InSegs, afterMib.OutRsts - before.OutRsts);
    }
  }
  driver.stop();
  link.close();
  const st = link.tunStats;
  const res: ChildResult = {
    mode,
    readiness: link.readinessKind,
    ping4,
    ping6,
    udp4,
    udp6,
    stats: { ...st },
    tso,
    rxFrames: link.stats.rxFrames,
    txFrames: link.stats.txFrames,
  };
  process.stdout.write(JSON.stringify(res) + '\n');
}

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return `TUN interop needs Linux (platform ${process.platform})`;
  if (process.getuid?.() !== 0) return 'TUN interop needs root (creates a network namespace and a TUN device)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (spawnSync('ip', ['-V']).status !== 0) return 'the ip tool (iproute2) is missing';
  if (spawnSync('ping', ['-V']).status !== 0) return 'ping is missing';
  return undefined;
}

function interop(mode: string): void {
  test(`${mode.startsWith('tap') ? 'TAP' : 'TUN'} (${mode}): kernel ping, ping -6 and UDP against wirestack in a fresh netns`, (t) => {
    const why = skipReason();
    if (why !== undefined) {
      console.log(`# skipped: ${why}`);
      t.skip(why);
      return;
    }
    const ns = `wstest-${process.pid}-${mode}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) {
      const msg = `cannot create a network namespace: ${add.stderr.trim()}`;
      console.log(`# skipped: ${msg}`);
      t.skip(msg);
      return;
    }
    try {
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, self], {
        encoding: 'utf8',
        timeout: 14000,
        env: { ...process.env, WS_TUN_CHILD: mode },
      });
      assert.equal(r.status, 0, `child failed: ${r.stderr}\n${r.stdout}`);
      const line = r.stdout.trim().split('\n').pop()!;
      const res = JSON.parse(line) as ChildResult;
      console.log(
        `# TUN ${mode} (${res.readiness}): ping rtt min/avg/max/mdev ${res.ping4.rtt} ms; ` +
          `ping -6 ${res.ping6.rtt} ms; tso ${JSON.stringify(res.tso)}; frames rx ${res.rxFrames} tx ${res.txFrames}; ` +
          `stats ${JSON.stringify(res.stats)}`,
      );
      assert.equal(res.ping4.received, 3, `ping: ${res.ping4.rtt}`);
      assert.equal(res.ping6.received, 3, `ping -6: ${res.ping6.rtt}`);
      assert.deepEqual(res.udp4, ['HELLO 4 #0', 'HELLO 4 #1', 'HELLO 4 #2']);
      assert.deepEqual(res.udp6, ['HELLO 6 #0', 'HELLO 6 #1', 'HELLO 6 #2']);
      if (mode === 'vnet' || mode === 'tap-vnet') {
        assert.ok(res.stats['txCsumPartial']! >= 6, 'UDP replies carried NEEDS_CSUM');
        assert.equal(res.stats['txGso'], 2);
        const [in4, rst4, in6, rst6] = res.tso;
        assert.ok(in4! >= 1 && in6! >= 1, `kernel took the TSO packets in: ${res.tso}`);
        assert.equal(res.stats['writeErrors'], 0, 'the kernel accepted the virtio-net headers');
        assert.ok(rst4! >= 1 && rst6! >= 1, `kernel answered with RST: ${res.tso}`);
      }
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
}

if (CHILD !== undefined) {
  childMain(CHILD).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  interop('plain');
  interop('timer');
  interop('vnet');
  interop('tap');
  interop('tap-vnet');

  test('TUN errors name the errno', (t) => {
    assert.equal(errnoName(2), 'ENOENT');
    assert.equal(errnoName(1), 'EPERM');
    assert.equal(errnoName(16), 'EBUSY');
    if (skipReason() !== undefined) {
      t.skip(skipReason()!);
      return;
    }
    assert.throws(() => TunLink.open({ name: 'this-name-is-too-long' }), /too long/);
    // Unprivileged: a clear error naming the errno.
    if (spawnSync('setpriv', ['--version']).status === 0) {
      const mod = new URL('../../src/adapters/node/tun.js', import.meta.url).href;
      const code =
        `import(${JSON.stringify(mod)}).then((m) => { try { m.TunLink.open(); console.log('opened'); } ` +
        'catch (e) { console.log(e.code + " " + e.message); } });';
      const r = spawnSync(
        'setpriv',
        ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, '-e', code],
        { encoding: 'utf8', timeout: 5000 },
      );
      console.log(`# unprivileged open: ${r.stdout.trim()}`);
      // Where the device node is world-writable the ioctl refuses (EPERM), else the open (EACCES).
      assert.match(
        r.stdout,
        /^(EPERM ioctl TUNSETIFF tun \(needs CAP_NET_ADMIN: run as root\): EPERM \(errno 1\)|EACCES open \/dev\/net\/tun \(no access to the device node: run as root\): EACCES \(errno 13\))/,
      );
    }
  });
}

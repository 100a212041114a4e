/**
 * QemuStreamLink: QEMU's stream netdev framing (4-byte big-endian length + Ethernet frame) over a
 * UNIX socket in a temp dir. Covers framing across every split point (bytes injected as socket
 * 'data' events, deterministic) and over real split writes, both directions between two links,
 * malformed and oversize lengths, backpressure with a tiny queue, and two Stacks pinging each
 * other (IPv4 with ARP, IPv6 with NDP) through it under the RealtimeDriver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Stack } from '../../src/core/stack/stack.js';
import type { Instant } from '../../src/core/time/time.js';
import { parseIpv6 } from '../../src/core/wire/address.js';
import { QEMU_STREAM_MAX_FRAME, QemuStreamLink } from '../../src/adapters/node/qemu-stream.js';
import { RealtimeDriver } from '../../src/driver/realtime.js';

const NOW = 0 as Instant;
let dir = '';
let n = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsqemu-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sockPath(): string {
  return join(dir, `s${n++}.sock`);
}

function frameOf(len: number, seed: number): Uint8Array {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return f;
}

function wire(frames: Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(f.length, 0);
    parts.push(h, Buffer.from(f));
  }
  return Buffer.concat(parts);
}

function drain(link: QemuStreamLink): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = link.receive(NOW); f !== undefined; f = link.receive(NOW)) out.push(f.buf.slice(f.off, f.off + f.len));
  return out;
}

function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const check = (): void => {
      if (cond()) resolve();
      else if (Date.now() - t0 > ms) reject(new Error('timed out'));
      else setTimeout(check, 1);
    };
    check();
  });
}

/** A listening link and a raw client socket connected to it. */
async function linkAndRaw(opts = {}): Promise<{ link: QemuStreamLink; raw: Socket; server: Server }> {
  const path = sockPath();
  const { server, accepted } = await QemuStreamLink.listen({ path }, opts);
  const raw = connect(path);
  raw.setNoDelay(true);
  const link = await accepted;
  return { link, raw, server };
}

describe('QemuStreamLink framing', () => {
  it('reassembles frames across every split point of the byte stream', async () => {
    const { link, raw, server } = await linkAndRaw();
    try {
      const frames = [frameOf(60, 1), frameOf(1514, 2), frameOf(1, 3), frameOf(200, 4)];
      const bytes = wire(frames);
      // One split at every position, then two splits at a spread of positions.
      for (let cut = 0; cut <= bytes.length; cut++) {
        link.socket.emit('data', bytes.subarray(0, cut));
        link.socket.emit('data', bytes.subarray(cut));
        assert.deepEqual(drain(link), frames, `cut at ${cut}`);
      }
      for (let a = 0; a < bytes.length; a += 37) {
        for (let b = a; b <= bytes.length; b += 53) {
          link.socket.emit('data', bytes.subarray(0, a));
          link.socket.emit('data', bytes.subarray(a, b));
          link.socket.emit('data', bytes.subarray(b));
          assert.deepEqual(drain(link), frames, `cuts at ${a}, ${b}`);
        }
      }
      // Byte by byte.
      for (let i = 0; i < bytes.length; i++) link.socket.emit('data', bytes.subarray(i, i + 1));
      assert.deepEqual(drain(link), frames);
      assert.equal(link.streamStats.malformed, 0);
      assert.equal(link.stats.rxFrames, frames.length * (bytes.length + 1 + countPairs(bytes.length) + 1));
    } finally {
      link.close();
      raw.destroy();
      server.close();
    }
  });

  it('receives frames sent with real split writes over a UNIX socket', async () => {
    const { link, raw, server } = await linkAndRaw();
    try {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) frames.push(frameOf(1 + ((i * 397) % 1514), i));
      const bytes = wire(frames);
      let off = 0;
      let k = 0;
      while (off < bytes.length) {
        const step = 1 + ((k++ * 811) % 3001);
        raw.write(bytes.subarray(off, off + step));
        off += step;
        if (k % 4 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      const got: Uint8Array[] = [];
      await waitFor(() => {
        got.push(...drain(link));
        return got.length >= frames.length;
      });
      assert.deepEqual(got, frames);
    } finally {
      link.close();
      raw.destroy();
      server.close();
    }
  });

  it('closes the connection on a zero or too-large length and counts it', async () => {
    for (const bad of [0, QEMU_STREAM_MAX_FRAME + 1, 0xffffffff]) {
      const { link, raw, server } = await linkAndRaw();
      let closedWith: Error | undefined;
      link.onClose = (e): void => {
        closedWith = e;
      };
      const good = wire([frameOf(64, 9)]);
      const hdr = Buffer.alloc(4);
      hdr.writeUInt32BE(bad >>> 0, 0);
      raw.write(Buffer.concat([good, hdr, Buffer.alloc(16)]));
      await waitFor(() => link.closed);
      assert.deepEqual(drain(link), [frameOf(64, 9)], 'the frame before the bad length was delivered');
      assert.equal(link.streamStats.malformed, 1);
      assert.match(String(closedWith?.message), /bad frame length/);
      assert.equal(link.transmit(new Uint8Array(60), 0, 60, NOW), false, 'a closed link takes nothing');
      await new Promise<void>((r) => (raw.destroyed ? r() : raw.once('close', () => r())));
      server.close();
    }
  });

  it('skips a legal frame longer than the link takes, and counts it', async () => {
    const { link, raw, server } = await linkAndRaw({ mtu: 1500 });
    try {
      const frames = [frameOf(100, 1), frameOf(9000, 2), frameOf(100, 3)];
      link.socket.emit('data', wire(frames).subarray(0, 4000));
      link.socket.emit('data', wire(frames).subarray(4000));
      assert.deepEqual(drain(link), [frames[0], frames[2]]);
      assert.equal(link.streamStats.rxOversize, 1);
      assert.equal(link.closed, false);
      assert.equal(link.transmit(new Uint8Array(1515), 0, 1515, NOW), false);
      assert.equal(link.stats.txOversize, 1);
    } finally {
      link.close();
      raw.destroy();
      server.close();
    }
  });

  it('pauses the socket when the receive queue is full and loses nothing', async () => {
    const { link, raw, server } = await linkAndRaw({ queueFrames: 4 });
    try {
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 50; i++) frames.push(frameOf(100 + i, i));
      raw.write(wire(frames));
      const got: Uint8Array[] = [];
      await waitFor(() => link.pending === 4);
      assert.ok(link.streamStats.rxPaused >= 1, 'paused on the full queue');
      await waitFor(() => {
        // Take at most two frames per turn so the queue refills.
        for (let i = 0; i < 2; i++) {
          const f = link.receive(NOW);
          if (f === undefined) break;
          got.push(f.buf.slice(f.off, f.off + f.len));
        }
        return got.length >= frames.length;
      });
      assert.deepEqual(got, frames);
      assert.ok(link.pending <= 4);
    } finally {
      link.close();
      raw.destroy();
      server.close();
    }
  });
});

/** How many (a, b) cut pairs the second loop of the first test makes. */
function countPairs(len: number): number {
  let c = 0;
  for (let a = 0; a < len; a += 37) for (let b = a; b <= len; b += 53) c++;
  return c;
}

describe('two QemuStreamLinks', () => {
  it('carry frames both ways, each write split by the stream as it likes', async () => {
    const path = sockPath();
    const { server, accepted } = await QemuStreamLink.listen({ path });
    const a = await QemuStreamLink.connect({ path });
    const b = await accepted;
    try {
      const ab: Uint8Array[] = [];
      const ba: Uint8Array[] = [];
      for (let i = 0; i < 100; i++) {
        ab.push(frameOf(14 + ((i * 131) % 1500), i));
        ba.push(frameOf(14 + ((i * 173) % 1500), i + 1000));
      }
      for (let i = 0; i < 100; i++) {
        assert.ok(a.transmit(ab[i]!, 0, ab[i]!.length, NOW));
        assert.ok(b.transmit(ba[i]!, 0, ba[i]!.length, NOW));
      }
      const gotB: Uint8Array[] = [];
      const gotA: Uint8Array[] = [];
      await waitFor(() => {
        gotB.push(...drain(b));
        gotA.push(...drain(a));
        return gotA.length >= 100 && gotB.length >= 100;
      });
      assert.deepEqual(gotB, ab);
      assert.deepEqual(gotA, ba);
      assert.equal(a.stats.txFrames, 100);
      assert.equal(b.stats.rxFrames, 100);
    } finally {
      a.close();
      b.close();
      server.close();
    }
  });

  it('work over TCP too (server on an ephemeral loopback port)', async () => {
    const { server, accepted } = await QemuStreamLink.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.address() as AddressInfo).port;
    const a = await QemuStreamLink.connect({ host: '127.0.0.1', port });
    const b = await accepted;
    try {
      const frames = [frameOf(60, 1), frameOf(1514, 2), frameOf(77, 3)];
      for (const f of frames) {
        assert.ok(a.transmit(f, 0, f.length, NOW));
        assert.ok(b.transmit(f, 0, f.length, NOW));
      }
      const gotA: Uint8Array[] = [];
      const gotB: Uint8Array[] = [];
      await waitFor(() => {
        gotA.push(...drain(a));
        gotB.push(...drain(b));
        return gotA.length >= 3 && gotB.length >= 3;
      });
      assert.deepEqual(gotA, frames);
      assert.deepEqual(gotB, frames);
      // A second client is refused while the first is connected.
      const c = connect(port, '127.0.0.1');
      await new Promise<void>((r) => c.once('close', () => r()));
      assert.equal(b.closed, false);
    } finally {
      a.close();
      b.close();
      server.close();
    }
  });

  it('two Stacks ping each other (IPv4 and IPv6) under the RealtimeDriver', async () => {
    const path = sockPath();
    const driver = new RealtimeDriver();
    const kick = (): void => driver.kick();
    const clock = (): Instant => driver.now();
    const { server, accepted } = await QemuStreamLink.listen({ path }, { onInput: kick, clock });
    const la = await QemuStreamLink.connect({ path }, { onInput: kick, clock });
    const lb = await accepted;
    const sa = new Stack({ name: 'a', now: driver.now() });
    const sb = new Stack({ name: 'b', now: driver.now() });
    const ia = sa.addInterface(la, { mac: new Uint8Array([2, 0, 0, 0, 0, 1]) });
    const ib = sb.addInterface(lb, { mac: new Uint8Array([2, 0, 0, 0, 0, 2]) });
    const a6 = new Uint8Array(16);
    const b6 = new Uint8Array(16);
    parseIpv6('fd00:5773::1', a6);
    parseIpv6('fd00:5773::2', b6);
    assert.equal(sa.addAddress(ia.index, 0x0a000001, 24), 0);
    assert.equal(sb.addAddress(ib.index, 0x0a000002, 24), 0);
    assert.equal(sa.addAddress(ia.index, a6, 64), 0);
    assert.equal(sb.addAddress(ib.index, b6, 64), 0);
    const replies: string[] = [];
    const rtts: number[] = [];
    const sentAt = new Map<string, number>();
    const onReply = (who: string) => (r: { version: 4 | 6; sequence: number }, now: Instant): void => {
      const key = `${who}${r.version}#${r.sequence}`;
      replies.push(key);
      rtts.push((now - sentAt.get(key)!) / 1000);
    };
    sa.onEchoReply = onReply('a');
    sb.onEchoReply = onReply('b');
    driver.add(sa, [la]).add(sb, [lb]).start();
    try {
      const data = new TextEncoder().encode('wirestack over qemu stream');
      for (let seq = 1; seq <= 3; seq++) {
        for (const [who, s, dst4, dst6] of [['a', sa, 0x0a000002, b6], ['b', sb, 0x0a000001, a6]] as const) {
          sentAt.set(`${who}4#${seq}`, driver.now());
          assert.equal(s.ping(dst4, 0x77, seq, data, driver.now()), 0);
          sentAt.set(`${who}6#${seq}`, driver.now());
          assert.equal(s.ping(dst6, 0x77, seq, data, driver.now()), 0);
        }
        driver.kick();
        await waitFor(() => replies.length >= seq * 4, 3000);
      }
      assert.deepEqual([...replies].sort(), [
        'a4#1', 'a4#2', 'a4#3', 'a6#1', 'a6#2', 'a6#3', 'b4#1', 'b4#2', 'b4#3', 'b6#1', 'b6#2', 'b6#3',
      ]);
      console.log(`# qemu-stream ping rtt (ms) min ${Math.min(...rtts).toFixed(3)} max ${Math.max(...rtts).toFixed(3)}`);
    } finally {
      driver.stop();
      la.close();
      lb.close();
      server.close();
    }
  });
});

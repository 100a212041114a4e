/**
 * virtio-net header: hand-built golden bytes, parse/emit round trips, `txHeader` on hand-built
 * TCP/UDP packets (IPv4, IPv6, TUN and TAP framing) checked by finishing the partial checksum the
 * way the kernel does and verifying it with the core's checksum code, TSO requests for packets
 * longer than the MTU, and random/mutated bytes never throwing nor writing outside the frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checksum } from '../../src/core/wire/checksum.js';
import { checksumAddresses4, checksumAddresses6 } from '../../src/core/wire/pseudo.js';
import { verifyTcpChecksum } from '../../src/core/wire/tcp.js';
import { verifyUdpChecksum } from '../../src/core/wire/udp.js';
import {
  txHeader,
  VIRTIO_NET_HDR_F_NEEDS_CSUM,
  VIRTIO_NET_HDR_GSO_ECN,
  VIRTIO_NET_HDR_GSO_NONE,
  VIRTIO_NET_HDR_GSO_TCPV4,
  VIRTIO_NET_HDR_GSO_TCPV6,
  VnetHdr,
} from '../../src/adapters/node/vnet.js';

function ipv4(proto: number, l4Len: number): Uint8Array {
  const total = 20 + l4Len;
  const p = new Uint8Array(total);
  p.set([0x45, 0, total >>> 8, total & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  for (let i = 20; i < total; i++) p[i] = (i * 13) & 0xff;
  return p;
}

function ipv6(proto: number, l4Len: number): Uint8Array {
  const p = new Uint8Array(40 + l4Len);
  p.set([0x60, 0, 0, 0, l4Len >>> 8, l4Len & 0xff, proto, 64]);
  for (let i = 8; i < 40; i++) p[i] = i;
  for (let i = 40; i < p.length; i++) p[i] = (i * 29) & 0xff;
  return p;
}

function tcpHeader(p: Uint8Array, l4: number, flags = 0x10): void {
  p.set([0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0], l4);
}

function udpHeader(p: Uint8Array, l4: number, len: number): void {
  p.set([0x30, 0x39, 0, 53, len >>> 8, len & 0xff, 0, 0], l4);
}

/** Finishes a partial checksum as the kernel does: complement of the sum from csum_start. */
function finish(h: VnetHdr, frame: Uint8Array): void {
  const at = h.csumStart + h.csumOffset;
  const c = checksum(frame, h.csumStart, frame.length - h.csumStart);
  frame[at] = c >>> 8;
  frame[at + 1] = c & 0xff;
}

function withEth(ip: Uint8Array, type: number): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, type >>> 8, type & 0xff]);
  f.set(ip, 14);
  return f;
}

describe('VnetHdr', () => {
  it('parses and emits the hand-built little-endian layout', () => {
    const golden = new Uint8Array([0x01, 0x01, 0x36, 0x00, 0xb4, 0x05, 0x22, 0x00, 0x10, 0x00, 0xaa, 0xbb]);
    const h = new VnetHdr();
    assert.ok(h.parse(golden, 0, golden.length));
    assert.deepEqual(
      [h.flags, h.gsoType, h.hdrLen, h.gsoSize, h.csumStart, h.csumOffset],
      [1, VIRTIO_NET_HDR_GSO_TCPV4, 54, 1460, 34, 16],
    );
    const out = new Uint8Array(12).fill(0xee);
    assert.equal(h.emit(out, 0, 10), 10);
    assert.deepEqual(out.subarray(0, 10), golden.subarray(0, 10));
    assert.equal(out[10], 0xee, 'the 10-byte form writes 10 bytes');
    assert.equal(h.emit(out, 0, 12), 12);
    assert.deepEqual([out[10], out[11]], [0, 0], 'num_buffers is 0');
    assert.equal(h.parse(golden, 0, 9), false);
    assert.equal(h.parse(golden, 5, 10), false, 'never reads past the buffer');
  });

  it('round-trips any field values', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.nat(255), fc.nat(255), fc.nat(65535), fc.nat(65535), fc.nat(65535), fc.nat(65535)),
        fc.constantFrom(10, 12),
        ([a, b, c, d, e, f], len) => {
          const h = new VnetHdr();
          h.flags = a;
          h.gsoType = b;
          h.hdrLen = c;
          h.gsoSize = d;
          h.csumStart = e;
          h.csumOffset = f;
          const buf = new Uint8Array(12);
          h.emit(buf, 0, len);
          const g = new VnetHdr();
          return g.parse(buf, 0, len) && g.equals(h);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('txHeader', () => {
  it('asks the kernel to fill an IPv4 TCP checksum, and the result verifies', () => {
    const p = ipv4(6, 100);
    tcpHeader(p, 20);
    const h = new VnetHdr();
    txHeader(h, p, 0, p.length, false, 1500);
    assert.deepEqual([h.flags, h.gsoType, h.csumStart, h.csumOffset], [VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 20, 16]);
    finish(h, p);
    assert.ok(verifyTcpChecksum(p, 20, 100, checksumAddresses4(0x0a000001, 0x0a000002)));
  });

  it('asks for an IPv6 UDP checksum (TAP framing), and the result verifies', () => {
    const ip = ipv6(17, 333);
    udpHeader(ip, 40, 333);
    const f = withEth(ip, 0x86dd);
    const h = new VnetHdr();
    txHeader(h, f, 0, f.length, true, 1500);
    assert.deepEqual([h.flags, h.gsoType, h.csumStart, h.csumOffset], [VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 54, 6]);
    finish(h, f);
    assert.ok(verifyUdpChecksum(f, 54, 333, checksumAddresses6(f, 14)));
  });

  it('requests TSO for a TCP packet longer than the MTU, with MTU-sized segments', () => {
    const p4 = ipv4(6, 20 + 20000);
    tcpHeader(p4, 20, 0x18);
    const h = new VnetHdr();
    txHeader(h, p4, 0, p4.length, false, 1500);
    assert.deepEqual([h.gsoType, h.gsoSize, h.hdrLen], [VIRTIO_NET_HDR_GSO_TCPV4, 1460, 40]);
    finish(h, p4);
    assert.ok(verifyTcpChecksum(p4, 20, 20020, checksumAddresses4(0x0a000001, 0x0a000002)));

    const ip6 = ipv6(6, 20 + 60000);
    tcpHeader(ip6, 40, 0x90); // CWR|ACK
    const f = withEth(ip6, 0x86dd);
    txHeader(h, f, 0, f.length, true, 9000);
    assert.deepEqual(
      [h.gsoType, h.gsoSize, h.hdrLen, h.csumStart],
      [VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 9000 - 60, 74, 54],
    );
    finish(h, f);
    assert.ok(verifyTcpChecksum(f, 54, 60020, checksumAddresses6(f, 14)));
  });

  it('leaves ICMP, fragments, ARP and short packets alone', () => {
    const h = new VnetHdr();
    const icmp = ipv4(1, 64);
    txHeader(h, icmp, 0, icmp.length, false, 1500);
    assert.equal(h.flags, 0);
    const frag = ipv4(17, 64);
    frag[6] = 0x20; // MF
    const before = frag.slice();
    txHeader(h, frag, 0, frag.length, false, 1500);
    assert.equal(h.flags, 0);
    assert.deepEqual(frag, before, 'nothing written');
    const arp = withEth(new Uint8Array(28), 0x0806);
    txHeader(h, arp, 0, arp.length, true, 1500);
    assert.equal(h.flags, 0);
    const tcp = ipv4(6, 20);
    tcpHeader(tcp, 20);
    txHeader(h, tcp, 0, 30, false, 1500);
    assert.equal(h.flags, 0, 'truncated: IP length beyond the frame');
    assert.equal(h.gsoType, VIRTIO_NET_HDR_GSO_NONE);
  });

  it('never throws nor writes outside the frame on random or mutated bytes', () => {
    const seeds = [ipv4(6, 40), ipv4(17, 30), ipv6(6, 40), ipv6(17, 30)];
    tcpHeader(seeds[0]!, 20);
    tcpHeader(seeds[2]!, 40);
    const mutation = fc.tuple(fc.nat(99), fc.nat(255));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 120 }),
          fc
            .tuple(fc.constantFrom(...seeds), fc.array(mutation, { maxLength: 6 }), fc.nat(100))
            .map(([s, muts, cut]) => {
              const m = s.slice(0, Math.max(0, s.length - cut));
              for (const [i, v] of muts) if (i < m.length) m[i] = v;
              return m;
            }),
        ),
        fc.boolean(),
        fc.integer({ min: 0, max: 2000 }),
        (bytes, eth, mtu) => {
          const buf = new Uint8Array(bytes.length + 16).fill(0x5a);
          buf.set(bytes, 8);
          const h = new VnetHdr();
          txHeader(h, buf, 8, bytes.length, eth, mtu);
          for (let i = 0; i < 8; i++) if (buf[i] !== 0x5a || buf[buf.length - 1 - i] !== 0x5a) return false;
          return h.csumStart + h.csumOffset + 2 <= bytes.length || h.flags === 0;
        },
      ),
      { numRuns: 5000 },
    );
  });
});

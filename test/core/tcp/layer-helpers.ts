/** A TcpLayer over a fake IP layer: hand-built segments in, captured segments out. */
import assert from 'node:assert/strict';
import { FixedIsnGenerator } from '../../../src/core/rand/isn.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import { type SysctlValue, Sysctls } from '../../../src/core/stack/sysctl.js';
import {
  type IpAddr,
  type IpOutput,
  IpPacketInfo,
  type IpSendInfo,
} from '../../../src/core/stack/transport.js';
import { TcpLayer } from '../../../src/core/tcp/layer.js';
import type { Instant } from '../../../src/core/time/time.js';
import { checksumAddresses4, checksumAddresses6 } from '../../../src/core/wire/pseudo.js';
import { fillTcpChecksum, TcpRepr, TcpView, verifyTcpChecksum } from '../../../src/core/wire/tcp.js';

export const LOCAL4 = 0x0a000001;
export const OTHER4 = 0x0a000003;
export const PEER4 = 0x0a000002;
export const LOCAL6 = v6(0xa);
export const PEER6 = v6(0xb);

export function v6(last: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = 0x20;
  b[1] = 0x01;
  b[2] = 0x0d;
  b[3] = 0xb8;
  b[15] = last;
  return b;
}

export function mapped(a: number): Uint8Array {
  const b = new Uint8Array(16);
  b[10] = 0xff;
  b[11] = 0xff;
  b[12] = a >>> 24;
  b[13] = (a >>> 16) & 0xff;
  b[14] = (a >>> 8) & 0xff;
  b[15] = a & 0xff;
  return b;
}

export interface Sent {
  version: 4 | 6;
  src4: number;
  dst4: number;
  src6: Uint8Array;
  dst6: Uint8Array;
  seg: TcpRepr;
  payload: Uint8Array;
}

export class FakeIp implements IpOutput {
  readonly sent: Sent[] = [];
  mtu = 1500;
  refuse = 0;

  send(info: IpSendInfo, buf: Uint8Array, off: number, len: number): number {
    if (this.refuse !== 0) return this.refuse;
    const v = new TcpView();
    assert.equal(v.check(buf, off, len), 0);
    const a =
      info.version === 4 ? checksumAddresses4(info.src4, info.dst4) : checksumAddresses6(pair(info.src6, info.dst6), 0);
    assert.ok(verifyTcpChecksum(buf, off, len, a), 'outgoing checksum');
    const seg = new TcpRepr();
    seg.parse(v);
    this.sent.push({
      version: info.version,
      src4: info.src4,
      dst4: info.dst4,
      src6: info.src6.slice(),
      dst6: info.dst6.slice(),
      seg,
      payload: buf.slice(v.payloadOffset, off + len),
    });
    return 0;
  }
  pathMtu(): number {
    return this.mtu;
  }
  sourceFor(dst: IpAddr): IpAddr | undefined {
    return typeof dst === 'number' ? LOCAL4 : LOCAL6;
  }
  checksumOffload(): boolean {
    return false;
  }
  isLocal(addr: IpAddr): boolean {
    if (typeof addr === 'number') return addr === LOCAL4 || addr === OTHER4;
    return addr.every((x, i) => x === LOCAL6[i]);
  }
  confirmReachable(): void {}

  take(): Sent[] {
    return this.sent.splice(0);
  }
}

function pair(a: Uint8Array, b: Uint8Array): Uint8Array {
  const p = new Uint8Array(40);
  p.set(a, 8);
  p.set(b, 24);
  return p;
}

export interface SegIn {
  src?: IpAddr;
  dst?: IpAddr;
  sport?: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
  mss?: number;
  data?: Uint8Array;
  badChecksum?: boolean;
}

export class Rig {
  readonly ip = new FakeIp();
  readonly sysctls: Sysctls;
  readonly layer: TcpLayer;
  now = 1_000_000 as Instant;

  constructor(sysctls: Record<string, SysctlValue> = {}, iss = 1000) {
    this.sysctls = new Sysctls(undefined, sysctls);
    this.layer = new TcpLayer(this.ip, this.sysctls, { isn: new FixedIsnGenerator(iss), rng: new Xoshiro128(9) });
  }

  deliver(s: SegIn): void {
    const r = new TcpRepr();
    r.srcPort = s.sport ?? 40000;
    r.dstPort = s.dport;
    r.seq = s.seq >>> 0;
    r.ack = (s.ack ?? 0) >>> 0;
    r.flags = s.flags;
    r.window = s.window ?? 65535;
    if (s.mss !== undefined) r.options.addMss(s.mss);
    const data = s.data ?? new Uint8Array(0);
    r.payloadLen = data.length;
    const buf = new Uint8Array(200 + data.length);
    const off = 100;
    const hl = r.emit(buf, off);
    buf.set(data, off + hl);
    const src = s.src ?? PEER4;
    const dst = s.dst ?? (typeof src === 'number' ? LOCAL4 : LOCAL6);
    const pkt = new IpPacketInfo();
    if (typeof src === 'number') {
      pkt.version = 4;
      pkt.src4 = src;
      pkt.dst4 = dst as number;
      fillTcpChecksum(buf, off, hl + data.length, checksumAddresses4(src, dst as number));
    } else {
      pkt.version = 6;
      pkt.src6.set(src);
      pkt.dst6.set(dst as Uint8Array);
      fillTcpChecksum(buf, off, hl + data.length, checksumAddresses6(pair(src, dst as Uint8Array), 0));
    }
    if (s.badChecksum === true) buf[off + 16]! ^= 0x40;
    pkt.protocol = 6;
    pkt.buf = buf;
    pkt.off = off;
    pkt.len = hl + data.length;
    this.layer.input(pkt, this.now);
  }

  /** Runs the layer's timers up to `t`. */
  advance(us: number): void {
    const end = (this.now + us) as Instant;
    for (;;) {
      const at = this.layer.pollAt();
      if (at === undefined || at > end) break;
      this.now = Math.max(this.now, at) as Instant;
      this.layer.poll(this.now);
    }
    this.now = end;
  }
}

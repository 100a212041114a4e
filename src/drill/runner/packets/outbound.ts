/**
 * Matching outbound script packets against the frames the stack emitted (LANGUAGE.md §6.6–§6.9).
 *
 * `OutboundMatcher.match(expect, fifo)` reads the FIFO of live frames from its head: frames that
 * are not for the socket under test are skipped, the first one that is becomes the candidate, and
 * unless `--strict_segments` more are collected until their payload reaches the scripted length
 * (TSO aggregation). The aggregate is mapped into script space (§6.7, §6.8) and compared strictly.
 *
 * The result is a value. `needMore` means the FIFO ran out before a decision: advance the clock
 * (up to the sniff timeout, `sniffTimeoutUs`) and call again with the grown FIFO. The connection
 * state (ISN learning, TS map, flow-label pair, learned local port) changes only on a decision.
 * `consumed` is the number of FIFO entries the line used up (skipped frames included).
 */

import { set32 } from '../../../core/wire/bytes.js';
import { printFrame } from '../../../core/wire/print.js';
import { TcpFlag, TcpRepr } from '../../../core/wire/tcp.js';
import { TcpOptionKind, TcpOptions } from '../../../core/wire/tcp-options.js';
import type { PacketEvent, TcpSegment } from '../../parser/ast.js';
import { buildScriptFrame, scriptFlags } from './build.js';
import type { ConnState, PacketConfig } from './conn.js';
import { icmpCode, icmpType } from './icmp-names.js';
import { type DecodedFrame, decodeFrame, type LiveFrame } from './live.js';
import { ecnBits, encodeOptions } from './options.js';
import { type ExpectedTime, verifyTime } from './timing.js';

export interface Expectation {
  /** The outbound packet line. */
  readonly event: PacketEvent;
  /** Its resolved script time. */
  readonly time: ExpectedTime;
  /** Script time of the previous event (µs). */
  readonly lastUs: number;
  /** Script time of the script start (µs), the base of the TS val tolerance; default 0. */
  readonly scriptStartUs?: number;
}

export type MatchResult =
  | { readonly ok: true; readonly consumed: number; readonly liveTimeUs: number }
  | { readonly ok: false; readonly needMore: true; readonly consumed: number }
  | {
      readonly ok: false;
      readonly needMore: false;
      readonly consumed: number;
      /** Full packetdrill-style message (`file:LINE: error handling packet: ...`). */
      readonly error: string;
      /** True for a mismatch `--non_fatal=packet` turns into a warning (the text then says so). */
      readonly warning: boolean;
    };

const LAYER_NAMES = { 4: 'IPV4', 6: 'IPV6' } as const;

function field(name: string, expected: number, actual: number): string | undefined {
  const e = expected >>> 0;
  const a = actual >>> 0;
  if (e === a) return undefined;
  return `live packet field ${name}: expected: ${e} (0x${e.toString(16)}) vs actual: ${a} (0x${a.toString(16)})`;
}

function firstError(...checks: (() => string | undefined)[]): string | undefined {
  for (const c of checks) {
    const e = c();
    if (e !== undefined) return e;
  }
  return undefined;
}

function dumpTime(us: number): string {
  return (us / 1e6).toFixed(6).padStart(9);
}

function bit(flags: number, mask: number): number {
  return flags & mask ? 1 : 0;
}

/** The script-side TCP expectations derived from a segment line. */
interface ScriptTcp {
  readonly seg: TcpSegment;
  readonly flags: number;
  readonly options: TcpOptions;
  readonly wildcards: readonly number[];
}

export class OutboundMatcher {
  constructor(
    private readonly conn: ConnState,
    private readonly cfg: PacketConfig,
  ) {}

  /** Whether a decoded frame is an outbound frame of the socket under test. */
  private forSocket(d: DecodedFrame, localPort: number): boolean {
    const c = this.conn;
    if (d.family !== c.family) return false;
    if (d.family === 4) {
      if (d.src4 !== c.local4 || d.dst4 !== c.remote4) return false;
    } else {
      for (let i = 0; i < 16; i++) {
        if (d.frame[d.src6Off + i] !== c.local6[i] || d.frame[d.src6Off + 16 + i] !== c.remote6[i]) return false;
      }
    }
    if (d.l4 === 'ICMPV4' || d.l4 === 'ICMPV6') return true;
    if (d.l4 !== 'TCP' && d.l4 !== 'UDP') return false;
    return (localPort === 0 || d.srcPort === localPort) && d.dstPort === c.remotePort;
  }

  match(expect: Expectation, fifo: readonly LiveFrame[]): MatchResult {
    const pkt = expect.event.packet;
    const scriptLen = pkt.l4.proto === 'tcp' ? pkt.l4.seq.len : pkt.l4.proto === 'udp' ? pkt.l4.len : 0;
    const frags: DecodedFrame[] = [];
    let localPort = this.conn.localPort;
    let total = 0;
    let i = 0;
    for (;;) {
      let d: DecodedFrame | undefined;
      while (i < fifo.length) {
        const cand = decodeFrame(fifo[i]!);
        i++;
        if (cand !== undefined && this.forSocket(cand, localPort)) {
          d = cand;
          break;
        }
      }
      if (d === undefined) return { ok: false, needMore: true, consumed: frags.length === 0 ? i : 0 };
      if (localPort === 0 && d.l4 === 'TCP') localPort = d.srcPort;
      const prev = frags[frags.length - 1];
      frags.push(d);
      if (prev !== undefined) {
        const err = this.verifyFragment(d, prev, total, scriptLen);
        if (err !== undefined) {
          this.commitPort(localPort);
          return this.fail(expect, i, `${err}${this.fragmentDump(expect, frags)}`, false);
        }
      }
      total += d.payloadLen;
      if (total >= scriptLen || this.cfg.strictSegments) break;
    }
    this.commitPort(localPort);
    if (total !== scriptLen) {
      return this.fail(expect, i, `live packet payload: expected ${scriptLen} bytes vs actual ${total} bytes`, false);
    }
    return this.verify(expect, frags, total, i);
  }

  private commitPort(port: number): void {
    if (this.conn.localPort === 0) this.conn.localPort = port;
  }

  private fail(expect: Expectation, consumed: number, msg: string, nonFatal: boolean): MatchResult {
    const warning = nonFatal && this.cfg.nonFatalPacket;
    const kind = warning ? 'warning' : 'error';
    return {
      ok: false,
      needMore: false,
      consumed,
      warning,
      error: `${this.cfg.file}:${expect.event.line}: ${kind} handling packet: ${msg}`,
    };
  }

  /** Non-strict comparison of a fragment with the previous one, and the equal-size rule. */
  private verifyFragment(cur: DecodedFrame, prev: DecodedFrame, sniffed: number, expected: number): string | undefined {
    const err = firstError(
      () => (cur.l4 === prev.l4 ? undefined : `live packet header layer 1: expected: ${prev.l4} header vs actual: ${cur.l4} header`),
      () => ipFields(prev, cur, false),
      () => {
        const a = cur.tcp;
        const s = prev.tcp;
        if (a === undefined || s === undefined) return undefined;
        return firstError(
          () => field('tcp_data_offset', prev.tcpDataOffset, cur.tcpDataOffset),
          () => field('tcp_syn', bit(s.flags, TcpFlag.SYN), bit(a.flags, TcpFlag.SYN)),
          () => field('tcp_rst', bit(s.flags, TcpFlag.RST), bit(a.flags, TcpFlag.RST)),
          () => field('tcp_ack', bit(s.flags, TcpFlag.ACK), bit(a.flags, TcpFlag.ACK)),
          () => field('tcp_urg', bit(s.flags, TcpFlag.URG), bit(a.flags, TcpFlag.URG)),
          () => field('tcp_ece', bit(s.flags, TcpFlag.ECE), bit(a.flags, TcpFlag.ECE)),
          () => field('tcp_ae', bit(s.flags, TcpFlag.AE), bit(a.flags, TcpFlag.AE)),
          () => field('tcp_reserved_bits', prev.tcpReserved, cur.tcpReserved),
          () => field('tcp_seq', s.seq + prev.payloadLen, a.seq),
          () => field('tcp_ack_seq', s.ack, a.ack),
          () => field('tcp_window', s.window, a.window),
          () => field('tcp_urg_ptr', s.urgent, a.urgent),
        );
      },
    );
    if (err !== undefined) return err;
    if (cur.payloadLen < expected - sniffed && cur.payloadLen !== prev.payloadLen) {
      return (
        `fragment payload: expected ${prev.payloadLen} bytes vs actual ${cur.payloadLen} bytes; ` +
        `total payload: expected ${expected} bytes vs actual ${cur.payloadLen + sniffed} bytes`
      );
    }
    return undefined;
  }

  private fragmentDump(expect: Expectation, frags: readonly DecodedFrame[]): string {
    let s = `\n   script packet: ${dumpTime(scriptDumpTime(expect))} ${this.scriptLine(expect)}`;
    frags.forEach((f, k) => {
      s += `\nactual #${k} packet: ${dumpTime(f.timeUs)} ${printFrame(f.frame, 0, f.frame.length, 'raw')}`;
    });
    return s;
  }

  private scriptLine(expect: Expectation): string {
    const r = buildScriptFrame(expect.event.packet, this.conn);
    return r.ok ? printFrame(r.frame, 0, r.frame.length, 'raw') : `(${r.error})`;
  }

  /** Strict verification of the (aggregated) live packet in script space. */
  private verify(expect: Expectation, frags: readonly DecodedFrame[], total: number, consumed: number): MatchResult {
    const first = frags[0]!;
    const last = frags[frags.length - 1]!;
    const pkt = expect.event.packet;
    const conn = this.conn;
    // The aggregate: headers from the last fragment, seq and CWR from the first (§6.6).
    let actualTcp: TcpRepr | undefined;
    let script: ScriptTcp | undefined;
    let optBytes: Uint8Array | undefined;
    if (pkt.l4.proto === 'tcp') {
      const seg = pkt.l4;
      const options = new TcpOptions();
      const enc = encodeOptions(seg.options, options, { sackOffset: 0 });
      if (typeof enc === 'string') return this.fail(expect, consumed, enc, false);
      script = { seg, flags: scriptFlags(seg.flags), options, wildcards: enc.wildcards };
    }
    if (last.tcp !== undefined && first.tcp !== undefined) {
      const a = new TcpRepr();
      a.copyFrom(last.tcp);
      a.seq = first.tcp.seq;
      a.flags = (a.flags & ~TcpFlag.CWR) | (first.tcp.flags & TcpFlag.CWR);
      a.payloadLen = total;
      const isSyn = (a.flags & TcpFlag.SYN) !== 0;
      if (script !== undefined && script.seg.flags.syn && !conn.localIsnKnown) {
        conn.localIsnLive = a.seq;
        conn.localIsnScript = script.seg.seq.start >>> 0;
        conn.localIsnKnown = true;
      }
      a.seq = (a.seq + conn.localSeqLiveToScript(isSyn)) >>> 0;
      const ackOff = conn.remoteSeqLiveToScript(isSyn);
      if (a.flags & TcpFlag.ACK) a.ack = (a.ack + ackOff) >>> 0;
      // Map the option bytes: SACK edges into script space, TS val relative to the first TS.
      optBytes = a.options.bytes.slice(0, a.options.itemsLength + a.options.paddingLength);
      for (let k = 0; k < a.options.count; k++) {
        const off = a.options.offsetAt(k);
        const len = a.options.lengthAt(k);
        const kind = a.options.kindAt(k);
        if (kind === TcpOptionKind.SACK && len >= 10 && (len - 2) % 8 === 0) {
          for (let p = off + 2; p + 4 <= off + len; p += 4) set32(optBytes, p, (get32(optBytes, p) + ackOff) >>> 0);
        } else if (kind === TcpOptionKind.TIMESTAMPS && len === 10 && script?.options.hasTimestamps === true) {
          const mapped = conn.recordOutboundTs(script.options.tsVal, get32(optBytes, off + 2));
          set32(optBytes, off + 2, mapped);
        }
      }
      actualTcp = a;
    }
    const actualFrame = aggregateFrame(last, actualTcp, optBytes, total);
    const err = this.compare(expect, last, actualTcp, optBytes, script, frags);
    if (err !== undefined) {
      const dump =
        `\nscript packet: ${dumpTime(scriptDumpTime(expect))} ${this.scriptLine(expect)}` +
        `\nactual packet: ${dumpTime(last.timeUs)} ${printFrame(actualFrame, 0, actualFrame.length, 'raw')}`;
      return this.fail(expect, consumed, err.msg + dump, err.nonFatal);
    }
    return { ok: true, consumed, liveTimeUs: last.timeUs };
  }

  private compare(
    expect: Expectation,
    d: DecodedFrame,
    a: TcpRepr | undefined,
    optBytes: Uint8Array | undefined,
    script: ScriptTcp | undefined,
    frags: readonly DecodedFrame[],
  ): { msg: string; nonFatal: boolean } | undefined {
    if (frags.some((f) => !f.ipv4ChecksumOk)) return { msg: 'bad outbound IP checksum', nonFatal: false };
    const pkt = expect.event.packet;
    const l4 = pkt.l4;
    const family = this.conn.family;
    const scriptL4 = l4.proto === 'tcp' ? 'TCP' : l4.proto === 'udp' ? 'UDP' : family === 4 ? 'ICMPV4' : 'ICMPV6';
    const scriptProto = l4.proto === 'tcp' ? 6 : l4.proto === 'udp' ? 17 : family === 4 ? 1 : 58;
    const optsAny = l4.proto === 'tcp' && l4.optionsAny;
    const allowance = optsAny && a !== undefined ? a.options.encodedLength() : 0;
    const scriptOptLen = script?.options.encodedLength() ?? 0;
    let scriptL4Len = 0;
    if (l4.proto === 'tcp') scriptL4Len = 20 + scriptOptLen + l4.seq.len;
    else if (l4.proto === 'udp') scriptL4Len = 8 + l4.len;
    else {
      const r = buildScriptFrame(pkt, this.conn);
      scriptL4Len = r.ok ? r.frame.length - (family === 4 ? 20 : 40) : 0;
    }
    const headerErr = firstError(
      () =>
        d.family === family
          ? undefined
          : `live packet header layer 0: expected: ${LAYER_NAMES[family]} header vs actual: ${LAYER_NAMES[d.family]} header`,
      () => (d.l4 === scriptL4 ? undefined : `live packet header layer 1: expected: ${scriptL4} header vs actual: ${d.l4} header`),
      () => {
        if (family === 4) {
          return firstError(
            () => field('ipv4_protocol', scriptProto, d.protocol),
            () => field('ipv4_header_length', 5, d.ihl),
            () => field('ipv4_total_length', 20 + scriptL4Len + allowance, d.ihl * 4 + actualL4Len(d, a)),
          );
        }
        return firstError(
          () => field('ipv6_payload_len', scriptL4Len + allowance, actualL4Len(d, a)),
          () => field('ipv6_next_header', scriptProto, d.protocol),
        );
      },
      () => this.tosTtl(expect, d),
      () => (a !== undefined && script !== undefined ? tcpFields(script, a, d, allowance) : undefined),
      () => (l4.proto === 'udp' ? field('udp_len', 8 + l4.len, d.udpLen) : undefined),
      () => {
        if (l4.proto !== 'icmp') return undefined;
        const t = icmpType(family, l4.type) ?? -1;
        const c = l4.code === undefined ? 0 : (icmpCode(family, t, l4.code) ?? -1);
        return firstError(
          () => field('icmp_type', t, d.icmpType),
          () => field('icmp_code', c, d.icmpCode),
        );
      },
    );
    if (headerErr !== undefined) return { msg: headerErr, nonFatal: true };
    if (family === 6) {
      const e = this.flowLabel(pkt.ip?.flowLabel ?? 0, d.flowLabel);
      if (e !== undefined) return { msg: e, nonFatal: true };
    }
    if (a !== undefined && script !== undefined && optBytes !== undefined && !optsAny) {
      const e = this.options(expect, script, a.options, optBytes);
      if (e !== undefined) return { msg: e, nonFatal: true };
    }
    if (l4.proto !== 'icmp') {
      for (const f of frags) {
        for (let k = 0; k < f.payloadLen; k++) {
          if (f.frame[f.payloadOff + k] !== 0) return { msg: 'incorrect outbound data payload', nonFatal: true };
        }
      }
    }
    const t = verifyTime(expect.time, d.timeUs, expect.lastUs, this.cfg);
    if (t !== undefined) return { msg: t, nonFatal: true };
    return undefined;
  }

  private tosTtl(expect: Expectation, d: DecodedFrame): string | undefined {
    const ip = expect.event.packet.ip;
    const tos = ip?.tos;
    if (tos !== undefined) {
      if (tos.kind === 'tos') {
        const e = field('tos', tos.value, d.tos);
        if (e !== undefined) return e;
      } else if (tos.ecn === 'ect01') {
        const bits = d.tos & 3;
        if (bits !== 1 && bits !== 2) return `live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x${bits.toString(16)}`;
      } else {
        const e = field('ip_ecn', ecnBits(tos.ecn), d.tos & 3);
        if (e !== undefined) return e;
      }
    }
    if (ip?.ttl !== undefined && ip.ttl !== 255) return field('ttl', ip.ttl, d.ttl);
    return undefined;
  }

  /** §6.9 flow-label pairing. */
  private flowLabel(script: number, live: number): string | undefined {
    const c = this.conn;
    if (script === 0) return undefined;
    if (live === 0) return 'flowlabel unmarked in the live packet';
    if (c.flowLabelScript === 0) {
      c.flowLabelScript = script;
      c.flowLabelLive = live;
      return undefined;
    }
    if (script !== c.flowLabelScript) {
      if (live === c.flowLabelLive) return 'expected a different flowlabel but got the same';
      c.flowLabelScript = script;
      c.flowLabelLive = live;
      return undefined;
    }
    if (live === c.flowLabelLive) return undefined;
    return `inconsistent flowlabels for this packet: expected: 0x${c.flowLabelLive.toString(16)} vs actual: 0x${live.toString(16)}`;
  }

  /** Options kind by kind, in order (§6.6). `bytes` are the actual option bytes in script space. */
  private options(expect: Expectation, s: ScriptTcp, a: TcpOptions, bytes: Uint8Array): string | undefined {
    const so = s.options;
    const n = Math.max(so.count, a.count);
    for (let k = 0; k < n; k++) {
      if (k >= so.count || k >= a.count || so.kindAt(k) !== a.kindAt(k)) return 'bad outbound TCP options';
      const kind = a.kindAt(k);
      if (kind === TcpOptionKind.EOL || kind === TcpOptionKind.NOP) continue;
      if (kind === TcpOptionKind.TIMESTAMPS && a.lengthAt(k) === 10) {
        const tick = this.cfg.tcpTsTickUsecs;
        if (tick > 0) {
          const delta = (get32(bytes, a.offsetAt(k) + 2) - so.tsVal) | 0;
          const evUs = expectedStart(expect) - (expect.scriptStartUs ?? 0);
          const tol = Math.trunc(Math.max(this.cfg.toleranceUsecs, (this.cfg.tolerancePercent / 100) * evUs));
          if (Math.abs(delta) * tick > tol) return `bad outbound TCP timestamp value, tolerance ${tol}`;
        }
        continue;
      }
      if (so.lengthAt(k) !== a.lengthAt(k)) return `bad lengths for outbound TCP option ${kind}`;
      if (s.wildcards.includes(k)) continue;
      const so0 = so.offsetAt(k);
      const ao0 = a.offsetAt(k);
      for (let p = 2; p < so.lengthAt(k); p++) {
        if (so.bytes[so0 + p] !== bytes[ao0 + p]) return `bad value outbound TCP option ${kind}`;
      }
    }
    return undefined;
  }
}

function get32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function expectedStart(e: Expectation): number {
  const t = e.time;
  return t.kind === 'exact' ? t.us : t.kind === 'range' ? t.startUs : e.lastUs;
}

function scriptDumpTime(e: Expectation): number {
  return expectedStart(e);
}

/** L4 length of the aggregate (the last fragment's headers with the total payload). */
function actualL4Len(d: DecodedFrame, a: TcpRepr | undefined): number {
  if (a !== undefined) return d.l4Len - d.payloadLen + a.payloadLen;
  return d.l4Len;
}

function tcpFields(s: ScriptTcp, a: TcpRepr, d: DecodedFrame, allowance: number): string | undefined {
  const seg = s.seg;
  const sf = s.flags;
  const af = a.flags;
  const ace = seg.flags.ace;
  return firstError(
    () => field('tcp_data_offset', 5 + (s.options.encodedLength() + allowance) / 4, d.tcpDataOffset),
    () => field('tcp_fin', bit(sf, TcpFlag.FIN), bit(af, TcpFlag.FIN)),
    () => field('tcp_syn', bit(sf, TcpFlag.SYN), bit(af, TcpFlag.SYN)),
    () => field('tcp_rst', bit(sf, TcpFlag.RST), bit(af, TcpFlag.RST)),
    () => field('tcp_psh', bit(sf, TcpFlag.PSH), bit(af, TcpFlag.PSH)),
    () => field('tcp_ack', bit(sf, TcpFlag.ACK), bit(af, TcpFlag.ACK)),
    () => field('tcp_urg', bit(sf, TcpFlag.URG), bit(af, TcpFlag.URG)),
    () => {
      if (ace !== undefined && ace !== 0) {
        const aa = (bit(af, TcpFlag.AE) << 2) | (bit(af, TcpFlag.CWR) << 1) | bit(af, TcpFlag.ECE);
        return field('tcp_ace', ace, aa);
      }
      return firstError(
        () => field('tcp_ece', bit(sf, TcpFlag.ECE), bit(af, TcpFlag.ECE)),
        () => field('tcp_cwr', bit(sf, TcpFlag.CWR), bit(af, TcpFlag.CWR)),
        () => field('tcp_ae', bit(sf, TcpFlag.AE), bit(af, TcpFlag.AE)),
      );
    },
    () => field('tcp_reserved_bits', 0, d.tcpReserved),
    () => field('tcp_seq', seg.seq.start, a.seq),
    () => field('tcp_ack_seq', seg.ack ?? 0, a.ack),
    () => (seg.win === undefined ? undefined : field('tcp_window', seg.win, a.window)),
    () => field('tcp_urg_ptr', seg.urg ?? 0, a.urgent),
  );
}

/** IP-version-specific checks shared by strict and fragment comparison (TOS is strict-only). */
function ipFields(s: DecodedFrame, a: DecodedFrame, strict: boolean): string | undefined {
  if (s.family !== a.family) {
    return `live packet header layer 0: expected: ${LAYER_NAMES[s.family]} header vs actual: ${LAYER_NAMES[a.family]} header`;
  }
  return firstError(
    () => (s.family === 4 ? field('ipv4_protocol', s.protocol, a.protocol) : field('ipv6_next_header', s.protocol, a.protocol)),
    () => (s.family === 4 ? field('ipv4_header_length', s.ihl, a.ihl) : undefined),
    () => (strict ? field(s.family === 4 ? 'ipv4_total_length' : 'ipv6_payload_len', s.ipLength, a.ipLength) : undefined),
    () => (s.ttl !== 255 ? field('ttl', s.ttl, a.ttl) : undefined),
  );
}

/** The aggregate as a frame, in script space, for the `actual packet:` line. */
function aggregateFrame(
  last: DecodedFrame,
  a: TcpRepr | undefined,
  optBytes: Uint8Array | undefined,
  total: number,
): Uint8Array {
  if (a === undefined || optBytes === undefined) return last.frame;
  const hl = last.l4Off;
  const tcpLen = 20 + a.options.encodedLength();
  const out = new Uint8Array(hl + tcpLen + total);
  out.set(last.frame.subarray(0, hl));
  const ipLen = last.family === 4 ? hl + tcpLen + total : tcpLen + total;
  out[last.family === 4 ? 2 : 4] = ipLen >>> 8;
  out[last.family === 4 ? 3 : 5] = ipLen & 0xff;
  a.emit(out, hl);
  out.set(optBytes, hl + 20);
  return out;
}

/**
 * Script TCP options (LANGUAGE.md §6.3) encoded into a `TcpOptions` record, exactly as written and
 * in order. SACK blocks and the TS ecr go through caller-supplied mappings, so one encoder serves
 * inbound building (mapped to live values) and outbound comparison (script values as written).
 */

import { TcpOptionKind, TcpOptions } from '../../../core/wire/tcp-options.js';
import type { IpInfo, TcpOption } from '../../parser/ast.js';

/** Decodes an even-length hex string (`md5`, `FO` cookies); undefined when malformed. */
export function hexBytes(hex: string): number[] | undefined {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return undefined;
  const out: number[] = [];
  for (let i = 0; i < h.length; i += 2) out.push(parseInt(h.slice(i, i + 2), 16));
  return out;
}

export interface OptionMapping {
  /** Added (mod 2^32) to each SACK block edge. */
  readonly sackOffset: number;
  /** Maps a TS ecr; returns the value or an error text. Identity when omitted. */
  readonly tsEcr?: (ecr: number) => number | string;
}

/** Indexes (in `out`'s option table) of `wscale *` options whose value is not to be checked. */
export interface EncodedOptions {
  readonly wildcards: readonly number[];
}

/** Fills `out` from the script list; returns an error text when an option cannot be encoded. */
export function encodeOptions(
  opts: readonly TcpOption[],
  out: TcpOptions,
  map: OptionMapping,
): EncodedOptions | string {
  out.clear();
  const wildcards: number[] = [];
  for (const o of opts) {
    let ok = true;
    switch (o.kind) {
      case 'nop':
        ok = out.addNop();
        break;
      case 'eol':
        ok = out.addEol();
        break;
      case 'sackOK':
        ok = out.addSackPermitted();
        break;
      case 'mss':
        ok = out.addMss(o.mss);
        break;
      case 'wscale':
        if (o.shift === undefined) wildcards.push(out.count);
        ok = out.addWindowScale(o.shift ?? 0);
        break;
      case 'sack': {
        const edges: number[] = [];
        for (const b of o.blocks) edges.push((b.left + map.sackOffset) >>> 0, (b.right + map.sackOffset) >>> 0);
        const data: number[] = [];
        for (const e of edges) data.push(e >>> 24, (e >>> 16) & 0xff, (e >>> 8) & 0xff, e & 0xff);
        ok = out.addUnknown(TcpOptionKind.SACK, data);
        break;
      }
      case 'ts': {
        const ecr = map.tsEcr === undefined ? o.ecr : map.tsEcr(o.ecr);
        if (typeof ecr === 'string') return ecr;
        ok = out.addTimestamps(o.val >>> 0, ecr >>> 0);
        break;
      }
      case 'md5': {
        const b = hexBytes(o.hex);
        if (b === undefined) return `bad md5 digest: ${o.hex}`;
        ok = out.addUnknown(TcpOptionKind.MD5, b);
        break;
      }
      case 'fastOpen':
      case 'fastOpenExp': {
        const b = hexBytes(o.cookie);
        if (b === undefined) return `bad TCP fast open cookie: ${o.cookie}`;
        ok =
          o.kind === 'fastOpen'
            ? out.addUnknown(TcpOptionKind.FAST_OPEN, b)
            : out.addUnknown(TcpOptionKind.EXPERIMENTAL, [0xf9, 0x89, ...b]);
        break;
      }
      case 'accEcn': {
        const data: number[] = [];
        for (const f of o.fields) data.push((f.value >>> 16) & 0xff, (f.value >>> 8) & 0xff, f.value & 0xff);
        ok = out.addUnknown(o.order === 0 ? 0xac : 0xae, data);
        break;
      }
    }
    if (!ok) return 'TCP options too long';
  }
  return { wildcards };
}

/** ECN bits of an ECN name (RFC 3168: ECT(0) = 10, ECT(1) = 01). */
export function ecnBits(name: string): number {
  switch (name) {
    case 'ect0':
      return 2;
    case 'ect1':
      return 1;
    case 'ce':
      return 3;
    default:
      return 0;
  }
}

/** The TOS / traffic-class byte an inbound packet carries for its annotation (default 0). */
export function inboundTos(ip: IpInfo | undefined): number | string {
  const t = ip?.tos;
  if (t === undefined) return 0;
  if (t.kind === 'tos') return t.value & 0xff;
  if (t.ecn === 'ect01') return 'ECN ect01 is only valid for outbound packets';
  return ecnBits(t.ecn);
}

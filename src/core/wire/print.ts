/**
 * One-line, tcpdump-style rendering of frames for traces and `wirestack pcap print`: the lines
 * `tcpdump -n -S` (4.99) prints — absolute sequence numbers, no name lookups, stateless — and with
 * `link: true` the `-e` link-layer prefix. Pure: no I/O, never throws, never reads outside
 * `buf[off, off + len)`. Not a hot path: it builds strings, linearly in the frame's length.
 *
 * Malformed input prints what can be read, then `[|drop: <DropReason name>]` (tcpdump prints `[|tcp]`
 * and the like at that point). Messages the stack would refuse are marked the same way (e.g. an ICMP
 * code no RFC assigns, a bad IPv4 option list), except well-formed messages of a kind the stack just
 * does not model (an ICMP timestamp, an RARP packet), which print unmarked, as tcpdump prints them.
 *
 * Deliberate differences from tcpdump 4.99 (marked "tcpdump:" below where they happen):
 * - IPv4 options print in front of the addresses as `IP (options (RA,NOP,...)) …`, in the notation
 *   tcpdump uses only with `-v` (without `-v` it does not show them).
 * - IPv4 fragments end with ` (frag <id>:<payload length>@<offset>[+])`, the style of older tcpdump
 *   releases; 4.99 shows fragment fields only with `-v`. Later fragments print `ip-proto-N` as 4.99 does.
 * - 802.1Q/802.1ad tags print as `vlan N, p P[, DEI], ` before the network layer even without
 *   `link` (tcpdump shows tags only with `-e`).
 * - No application-layer decoding (tcpdump names ports such as HTTP or decodes DNS), no decoding of
 *   GRE/IGMP/other IP protocols (printed as ` ip-proto-N <length>`, tcpdump's form for unknown ones),
 *   no LLC decoding of 802.3 frames, and no hex dumps of undecoded bytes.
 * - TCP options use `TcpOptions.toString()`, whose own notes list its differences (`md5 <hex>`, one
 *   space in `tfo cookie`).
 * - ICMPv6 destination-unreachable codes tcpdump does not know end in `, length N` like the others
 *   (tcpdump prints a hex dump instead); MLD messages print their name only (tcpdump glues the
 *   fields onto the name); ICMP router advertisements print their name only.
 */

import { formatIpv4, formatIpv6, formatMac } from './address.js';
import { ArpOperation, ArpRepr, ArpView } from './arp.js';
import { get16, get32, hex } from './bytes.js';
import { DropReason, dropReasonName } from './drop.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_MIN,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  EthernetView,
} from './ethernet.js';
import { Icmpv4Repr, Icmpv4View, IPPROTO_ICMP } from './icmpv4.js';
import { Icmpv6Repr, Icmpv6View, IPPROTO_ICMPV6 } from './icmpv6.js';
import { ipv4OptionsValid } from './ipv4.js';
import { checkNdpHopLimit, NdpRepr } from './ndp.js';
import { IPPROTO_TCP, TcpRepr, TcpView } from './tcp.js';
import { IPPROTO_UDP } from './udp.js';

export type PrintLinkType = 'ethernet' | 'raw';

export interface PrintOptions {
  /** Prefix the link-layer header as `tcpdump -e` does (`ip: ` for raw IP). */
  link?: boolean;
  /**
   * Length of the frame on the wire, when a capture kept only the first `len` bytes of it (pcap's
   * original length). Lengths in headers up to it are then believed: a snapped packet prints like a
   * whole one as long as the headers were captured. Defaults to `len`.
   */
  wireLen?: number;
}

// Reused parsers (the printer is not re-entered: quoted packets are read field by field).
const ethView = new EthernetView();
const arpView = new ArpView();
const arpRepr = new ArpRepr();
const tcpView = new TcpView();
const tcpRepr = new TcpRepr();
const icmp4View = new Icmpv4View();
const icmp4Repr = new Icmpv4Repr();
const icmp6View = new Icmpv6View();
const icmp6Repr = new Icmpv6Repr();
const ndpRepr = new NdpRepr();

function dropMark(r: DropReason): string {
  return `[|drop: ${dropReasonName(r)}]`;
}

const TRAILING_MARK = / \[\|drop: \w+\]$/;

/**
 * `text` with the mark of an outer layer's problem: it replaces a mark the inner layers put at the
 * end (their trouble follows from the outer one, e.g. a header cut short by a bad IP length), so a
 * line carries one mark, the first problem in layer order.
 */
function outerMark(text: string, mark: string): string {
  if (!mark) return text;
  return TRAILING_MARK.test(text) ? text.replace(TRAILING_MARK, mark) : text + mark;
}

/**
 * A parser's verdict on a message the capture cut short (`cap < decl`): complaints about missing
 * bytes say nothing about the message on the wire, so they are dropped (tcpdump marks only bytes it
 * needed for the line; `missingMark` covers those).
 */
function cutVerdict(r: DropReason, cap: number, decl: number): DropReason {
  return cap < decl && (r === DropReason.IcmpTruncated || r === DropReason.NdpBadOption) ? DropReason.Ok : r;
}

/** Why bytes the line needs are not there: the capture was cut, or the message is short. */
function missingMark(cap: number, decl: number): DropReason {
  return cap < decl ? DropReason.Truncated : DropReason.IcmpTruncated;
}

function rangeOk(buf: Uint8Array, off: number, len: number): boolean {
  return Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && off + len <= buf.length;
}

function wireOf(len: number, opts: PrintOptions | undefined): number {
  const w = opts?.wireLen;
  return w !== undefined && Number.isInteger(w) && w > len ? w : len;
}

/**
 * One line for the frame in `buf[off, off + len)`: an Ethernet II frame (with up to two VLAN tags)
 * or a raw IP packet (IPv4 or IPv6 by the version nibble).
 */
export function printFrame(
  buf: Uint8Array,
  off: number,
  len: number,
  linkType: PrintLinkType,
  opts?: PrintOptions,
): string {
  if (!rangeOk(buf, off, len)) return dropMark(DropReason.Truncated);
  const wire = wireOf(len, opts);
  const link = opts?.link === true;
  if (linkType === 'raw') {
    const body = ipBody(buf, off, len, wire, !link);
    return link ? `ip: ${body}` : body;
  }
  return ethernetLine(buf, off, len, wire, link);
}

/** One line for a bare IP packet (`IP …` or `IP6 …`). */
export function printIp(buf: Uint8Array, off: number, len: number, opts?: PrintOptions): string {
  if (!rangeOk(buf, off, len)) return dropMark(DropReason.Truncated);
  return ipBody(buf, off, len, wireOf(len, opts), true);
}

// ---- link layer ------------------------------------------------------------------------------------

function ethertypeName(t: number): string {
  switch (t) {
    case ETHERTYPE_IPV4:
      return 'IPv4';
    case ETHERTYPE_ARP:
      return 'ARP';
    case ETHERTYPE_IPV6:
      return 'IPv6';
    case ETHERTYPE_VLAN:
      return '802.1Q';
    case ETHERTYPE_QINQ:
      return '802.1Q-QinQ';
    case 0x8035:
      return 'Reverse ARP';
    case 0x88cc:
      return 'LLDP';
    default:
      return 'Unknown';
  }
}

function ethertypeText(t: number): string {
  return `ethertype ${ethertypeName(t)} (0x${hex(Uint8Array.of(t >>> 8, t & 0xff))})`;
}

function tagText(tci: number): string {
  return `vlan ${tci & 0x0fff}, p ${tci >>> 13}${tci & 0x1000 ? ', DEI' : ''}, `;
}

function ethernetLine(b: Uint8Array, off: number, len: number, wire: number, link: boolean): string {
  const r = ethView.check(b, off, len);
  if (r !== DropReason.Ok) {
    if (r === DropReason.VlanTruncated) {
      return `${formatMac(b, off + 6)} > ${formatMac(b, off)}, ${ethertypeText(get16(b, off + 12))}, length ${wire}: ${dropMark(r)}`;
    }
    return dropMark(r);
  }
  const src = formatMac(b, off + 6);
  const dst = formatMac(b, off);
  const outerType = get16(b, off + 12);
  const type = ethView.ethertype;
  const hdr = ethView.headerLength;
  if (outerType < ETHERTYPE_MIN) {
    // tcpdump: decodes the LLC header that follows.
    return `${src} > ${dst}, 802.3, length ${outerType}`;
  }
  // The tags, as `-e` shows them (each followed by the type it names), or alone without `link`.
  let tags = '';
  const outerTci = ethView.outerTciOffset;
  const innerTci = ethView.tciOffset;
  if (outerTci >= 0) {
    tags += tagText(get16(b, outerTci));
    if (link) tags += `${ethertypeText(get16(b, outerTci + 2))}, `;
  }
  if (innerTci >= 0) {
    tags += tagText(get16(b, innerTci));
    if (link) tags += `${ethertypeText(type)}, `;
  }
  const linkHead = `${src} > ${dst}, ${ethertypeText(outerType)}, length ${wire}: `;
  const pOff = off + hdr;
  const pLen = len - hdr;
  const pWire = wire - hdr;
  let body: string;
  switch (type) {
    case ETHERTYPE_IPV4:
    case ETHERTYPE_IPV6:
      body = ipBody(b, pOff, pLen, pWire, !link, type === ETHERTYPE_IPV4 ? 4 : 6);
      break;
    case ETHERTYPE_ARP:
      body = link ? arpBody(b, pOff, pLen, pWire) : `ARP, ${arpBody(b, pOff, pLen, pWire)}`;
      break;
    default: {
      const mark =
        type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ ? ` ${dropMark(DropReason.Unsupported)}` : '';
      // tcpdump: a hex dump of the payload follows.
      if (link && tags) return `${(linkHead + tags).slice(0, -2)}${mark}`;
      return `${src} > ${dst}, ${tags}${ethertypeText(type)}, length ${wire}${mark}`;
    }
  }
  return link ? linkHead + tags + body : tags + body;
}

function arpBody(b: Uint8Array, o: number, cap: number, decl: number): string {
  let r = arpView.check(b, o, cap);
  if (r !== DropReason.Ok) return dropMark(r);
  r = arpRepr.parse(arpView);
  if (r !== DropReason.Ok && r !== DropReason.ArpBadOperation) return dropMark(r);
  const spa = formatIpv4(arpView.senderProtocolAddress);
  const tpa = formatIpv4(arpView.targetProtocolAddress);
  const sha = formatMac(b, arpView.senderHardwareOffset);
  const tha = formatMac(b, arpView.targetHardwareOffset);
  const op = arpView.operation;
  let s: string;
  switch (op) {
    case ArpOperation.Request:
      s = `Request who-has ${tpa}${tha === '00:00:00:00:00:00' ? '' : ` (${tha})`} tell ${spa}`;
      break;
    case ArpOperation.Reply:
      s = `Reply ${spa} is-at ${sha}`;
      break;
    case 3:
      s = `Reverse Request who-is ${tha} tell ${sha}`;
      break;
    case 4:
      s = `Reverse Reply ${tha} at ${tpa}`;
      break;
    case 8:
      s = `Inverse Request who-is ${tha} tell ${sha}`;
      break;
    case 9:
      s = `Inverse Reply ${sha} at ${spa}`;
      break;
    default:
      // tcpdump: `Unknown (N)` and a hex dump.
      return `Unknown (${op}), length ${decl} ${dropMark(r)}`;
  }
  return `${s}, length ${decl}`;
}

// ---- network layer ---------------------------------------------------------------------------------

/**
 * IPv4 or IPv6 by the version nibble (or as `expect` says, for an EtherType), `IP `/`IP6 ` first when
 * `label`. `cap` bytes are present; `wire` were on the wire.
 *
 * The IP headers are read field by field rather than through `Ipv4View`/`Ipv6View`, whose `check`
 * refuses a packet longer than the bytes at hand: a snapped capture still has headers worth printing.
 */
function ipBody(b: Uint8Array, o: number, cap: number, wire: number, label: boolean, expect = 0): string {
  const v = cap > 0 ? b[o]! >>> 4 : 0;
  const version = expect || v;
  if (version === 4) return ipv4Body(b, o, cap, wire, label);
  if (version === 6) return ipv6Body(b, o, cap, wire, label);
  return dropMark(cap > 0 ? DropReason.BadVersion : DropReason.Truncated);
}

function ipv4Body(b: Uint8Array, o: number, cap: number, wire: number, label: boolean): string {
  const head = label ? 'IP ' : '';
  if (cap < 20)
    return head + dropMark(cap > 0 && b[o]! >>> 4 !== 4 ? DropReason.BadVersion : DropReason.Truncated);
  if (b[o]! >>> 4 !== 4) return head + dropMark(DropReason.BadVersion);
  const src = formatIpv4(get32(b, o + 12));
  const dst = formatIpv4(get32(b, o + 16));
  const hlen = (b[o]! & 0x0f) << 2;
  if (hlen < 20) return `${head}${src} > ${dst}: ${dropMark(DropReason.BadHeaderLength)}`;
  if (hlen > cap) return `${head}${src} > ${dst}: ${dropMark(DropReason.Truncated)}`;
  const total = get16(b, o + 2);
  if (total < hlen) return `${head}${src} > ${dst}: ${dropMark(DropReason.Ipv4BadTotalLength)}`;
  let mark = '';
  // tcpdump: "truncated-ip - N bytes missing!", then the packet as far as it goes. Here the layers
  // above read what is there as a cut capture would be read, and the line carries this mark.
  if (total > wire) mark = ` ${dropMark(DropReason.Ipv4BadTotalLength)}`;
  const optLen = hlen - 20;
  let opts = '';
  if (optLen > 0) {
    // tcpdump: only with -v, inside its header summary.
    opts = `(options (${ipv4OptionsText(b, o + 20, o + hlen)})) `;
    if (!mark && !ipv4OptionsValid(b, o + 20, o + hlen)) mark = ` ${dropMark(DropReason.Ipv4BadOptions)}`;
  }
  const flags = get16(b, o + 6);
  const mf = (flags & 0x2000) !== 0;
  const fragOff = (flags & 0x1fff) << 3;
  const proto = b[o + 9]!;
  const decl = total - hlen;
  const capL = Math.min(cap, total) - hlen;
  let s: string;
  if (fragOff !== 0) {
    s = `${src} > ${dst}: ip-proto-${proto}`;
  } else {
    s = transport(b, o + hlen, capL, decl, proto, src, dst, false, mf, -1);
  }
  if (mf || fragOff !== 0) {
    // tcpdump: 4.99 shows fragment fields only with -v; this is the older one-line form.
    // Before any mark of the layers above, which stays last.
    const frag = ` (frag ${get16(b, o + 4)}:${decl}@${fragOff}${mf ? '+' : ''})`;
    s = TRAILING_MARK.test(s) ? s.replace(TRAILING_MARK, `${frag}$&`) : s + frag;
    if (!mark && ((mf && (decl === 0 || (decl & 7) !== 0)) || fragOff + decl > 65515)) {
      mark = ` ${dropMark(DropReason.Ipv4BadFragment)}`;
    }
  }
  return head + opts + outerMark(s, mark);
}

const IPV4_OPTION_NAMES: Record<number, string> = {
  7: 'RR',
  68: 'timestamp',
  130: 'security',
  131: 'LSRR',
  137: 'SSRR',
  148: 'RA',
  82: 'traceroute',
};

/** The option list in tcpdump's `-v` notation, e.g. `RA,NOP,RR 192.0.2.254, 0.0.0.0`. */
function ipv4OptionsText(b: Uint8Array, p: number, end: number): string {
  const parts: string[] = [];
  while (p < end) {
    const t = b[p]!;
    if (t === 0) {
      parts.push('EOL');
      break;
    }
    if (t === 1) {
      parts.push('NOP');
      p++;
      continue;
    }
    const name = IPV4_OPTION_NAMES[t] ?? `unknown ${t}`;
    const n = p + 1 < end ? b[p + 1]! : 0;
    if (n < 2 || p + n > end) {
      parts.push(`${name} [bad length ${n}]`);
      break;
    }
    switch (t) {
      case 0x94:
        if (n !== 4) parts.push(`RA [bad length ${n}]`);
        else parts.push(get16(b, p + 2) ? `RA value ${get16(b, p + 2)}` : 'RA');
        break;
      case 0x07:
      case 0x83:
      case 0x89:
        parts.push(name + routeText(b, p, n));
        break;
      case 0x44:
        parts.push(name + timestampText(b, p, n));
        break;
      default:
        parts.push(name);
    }
    p += n;
  }
  return parts.join(',');
}

/** Record route / source route body: each address, a comma after those already recorded. */
function routeText(b: Uint8Array, p: number, n: number): string {
  if (n < 3) return ` [bad length ${n}]`;
  const ptr = b[p + 2]! - 1;
  if (ptr < 3 || ((ptr + 1) & 3) !== 0 || ptr > n + 1) return ` [bad ptr ${b[p + 2]!}]`;
  let s = '';
  for (let k = 3; k + 4 <= n; k += 4) {
    s += ` ${formatIpv4(get32(b, p + k))}`;
    if (ptr > k) s += ',';
  }
  return s;
}

/** Internet timestamp option (RFC 791): `TS{TSONLY ^ 1@ 2@}`, `^` where the pointer is. */
function timestampText(b: Uint8Array, p: number, n: number): string {
  if (n < 4) return ` [bad length ${n}]`;
  const flag = b[p + 3]! & 0x0f;
  const hop = flag === 0 ? 4 : 8;
  let s = ' TS{';
  if ((n - 4) & (hop - 1)) s += ` [bad length ${n}]`;
  const ptr = b[p + 2]! - 1;
  if (ptr < 4 || (ptr - 4) & (hop - 1) || ptr > n + 1) s += ` [bad ptr ${b[p + 2]!}]`;
  let k = 4;
  if (flag === 0 || flag === 1 || flag === 3) {
    s += flag === 0 ? 'TSONLY' : flag === 1 ? 'TS+ADDR' : 'PRESPEC';
    for (; k + hop <= n; k += hop) {
      s += `${ptr === k ? ' ^ ' : ' '}${get32(b, p + k + hop - 4)}@${hop === 8 ? formatIpv4(get32(b, p + k)) : ''}`;
    }
  } else {
    s += `[bad ts type ${flag}]`;
  }
  s += ptr === k ? ' ^ ' : '';
  const overflow = b[p + 3]! >>> 4;
  return s + (overflow ? ` [${overflow} hops not recorded]} ` : '}');
}

function ipv6Body(b: Uint8Array, o: number, cap: number, wire: number, label: boolean): string {
  const head = label ? 'IP6 ' : '';
  if (cap < 40)
    return head + dropMark(cap > 0 && b[o]! >>> 4 !== 6 ? DropReason.BadVersion : DropReason.Truncated);
  if (b[o]! >>> 4 !== 6) return head + dropMark(DropReason.BadVersion);
  const src = formatIpv6(b, o + 8);
  const dst = formatIpv6(b, o + 24);
  const total = 40 + get16(b, o + 4);
  let mark = '';
  // tcpdump: "truncated-ip6 - N bytes missing!"; read on as for IPv4.
  if (total > wire) mark = ` ${dropMark(DropReason.Ipv6BadPayloadLength)}`;
  const hopLimit = b[o + 7]!;
  const end = o + total;
  const capEnd = o + Math.min(cap, total);
  let nh = b[o + 6]!;
  let p = o + 40;
  let exts = '';
  let count = 0;
  let firstFrag = false;
  const setMark = (r: DropReason): void => {
    if (!mark) mark = ` ${dropMark(r)}`;
  };
  // A tolerant walk (Ipv6ExtWalker refuses what the stack refuses; this prints it and marks it).
  // Each header moves `p` forward by at least 8 bytes, so the walk is linear.
  for (;;) {
    if (nh === 0 || nh === 60 || nh === 43 || nh === 44 || nh === 51 || nh === 50) {
      const need = nh === 51 ? 12 : nh === 43 ? 4 : nh === 44 || nh === 50 ? 8 : 2;
      if (p + need > capEnd) {
        setMark(p + need > end ? DropReason.Ipv6BadExtensionHeader : DropReason.Truncated);
        return `${head}${src} > ${dst}: ${exts}${mark.slice(1)}`;
      }
    }
    let hlen: number;
    if (nh === 0 || nh === 60) {
      if (nh === 0 && count > 0) setMark(DropReason.Ipv6BadExtensionHeader);
      exts += nh === 0 ? 'HBH ' : 'DSTOPT ';
      hlen = (b[p + 1]! + 1) << 3;
    } else if (nh === 43) {
      hlen = (b[p + 1]! + 1) << 3;
      exts += `${routingText(b, p, hlen, capEnd)} `;
    } else if (nh === 44) {
      const fo = get16(b, p + 2);
      const fOff = fo & 0xfff8;
      const more = (fo & 1) !== 0;
      const fragLen = end - p - 8;
      exts += `frag (${fOff}|${fragLen})`;
      if ((more && (fragLen === 0 || (fragLen & 7) !== 0)) || fOff + fragLen > 65535) {
        setMark(DropReason.Ipv6BadFragment);
      }
      count++;
      if (fOff !== 0) return `${head}${src} > ${dst}: ${exts}${mark}`;
      exts += ' ';
      firstFrag = more;
      hlen = 8;
    } else if (nh === 51) {
      hlen = (b[p + 1]! + 2) << 2;
      const icvEnd = Math.min(p + hlen, capEnd);
      exts += `AH(spi=0x${hex(b, p + 4, 4)},seq=0x${get32(b, p + 8).toString(16)},icv=0x${hex(b, p + 12, Math.max(0, icvEnd - p - 12))}): `;
    } else if (nh === 50) {
      exts += `ESP(spi=0x${hex(b, p, 4)},seq=0x${get32(b, p + 4).toString(16)}), length ${end - p}`;
      return `${head}${src} > ${dst}: ${exts}${mark}`;
    } else if (nh === 59) {
      return `${head}${src} > ${dst}: ${exts}no next header${mark}`;
    } else {
      break;
    }
    if (nh !== 44) count++;
    if (p + hlen > end) {
      setMark(DropReason.Ipv6BadExtensionHeader);
      return `${head}${src} > ${dst}: ${exts}${mark.slice(1)}`;
    }
    if (p + hlen > capEnd) {
      setMark(DropReason.Truncated);
      return `${head}${src} > ${dst}: ${exts}${mark.slice(1)}`;
    }
    nh = b[p]!;
    p += hlen;
  }
  const body = outerMark(
    transport(b, p, capEnd - p, end - p, nh, src, dst, count > 0, firstFrag, hopLimit),
    mark,
  );
  return count > 0 ? `${head}${src} > ${dst}: ${exts}${body}` : head + body;
}

/** Routing header: `RT6 (len=2, type=2, segleft=1, [0]2001:db8::2)`. */
function routingText(b: Uint8Array, p: number, hlen: number, capEnd: number): string {
  const type = b[p + 2]!;
  let s = `RT6 (len=${b[p + 1]!}, type=${type}${type === 0 ? ' [Deprecated]' : ''}, segleft=${b[p + 3]!}`;
  if (type === 4 && p + 8 <= capEnd) s += `, last-entry=${b[p + 4]!}, tag=${get16(b, p + 6)}`;
  if (type === 0 || type === 2 || type === 4) {
    const end = Math.min(p + hlen, capEnd);
    for (let a = p + 8, i = 0; a + 16 <= end; a += 16, i++) s += `, [${i}]${formatIpv6(b, a)}`;
  }
  return `${s})`;
}

// ---- transport layer -------------------------------------------------------------------------------

/**
 * The part after the network header. `cap` bytes of the `decl` the network layer declares are
 * present. `short` drops the addresses (tcpdump's form after IPv6 extension headers); `firstFrag`
 * says the bytes are the start of a longer datagram. `hopLimit` is the IPv6 hop limit (-1 for IPv4).
 */
function transport(
  b: Uint8Array,
  o: number,
  cap: number,
  decl: number,
  proto: number,
  src: string,
  dst: string,
  short: boolean,
  firstFrag: boolean,
  hopLimit: number,
): string {
  const addrs = short ? '' : `${src} > ${dst}: `;
  switch (proto) {
    case IPPROTO_TCP:
      return tcpText(b, o, cap, decl, src, dst, short);
    case IPPROTO_UDP:
      return udpText(b, o, cap, decl, src, dst, short, firstFrag);
    case IPPROTO_ICMP:
      if (hopLimit < 0) return addrs + icmp4Text(b, o, cap, decl);
      break;
    case IPPROTO_ICMPV6:
      if (hopLimit >= 0) return addrs + icmp6Text(b, o, cap, decl, hopLimit);
      break;
  }
  // tcpdump: decodes many more protocols; this is its form for the ones it does not know.
  return `${addrs} ip-proto-${proto} ${decl}`;
}

function ports(src: string, sp: number, dst: string, dp: number, short: boolean): string {
  return short ? `${sp} > ${dp}: ` : `${src}.${sp} > ${dst}.${dp}: `;
}

function tcpText(
  b: Uint8Array,
  o: number,
  cap: number,
  decl: number,
  src: string,
  dst: string,
  short: boolean,
): string {
  let r = tcpView.check(b, o, cap);
  if (r !== DropReason.Ok) {
    if (cap < 4) return `${short ? '' : `${src} > ${dst}: `}${dropMark(DropReason.Truncated)}`;
    const hl = (cap > 12 ? b[o + 12]! >>> 4 : 0) << 2;
    // A header that the capture cut short is truncated, not malformed.
    if (r === DropReason.TcpBadDataOffset && hl >= 20 && hl <= decl && cap < decl) r = DropReason.Truncated;
    if (cap < 13 && decl >= 20) r = DropReason.Truncated;
    return ports(src, get16(b, o), dst, get16(b, o + 2), short) + dropMark(r);
  }
  r = tcpRepr.parse(tcpView);
  tcpRepr.payloadLen = decl - tcpView.headerLength;
  const s = ports(src, tcpRepr.srcPort, dst, tcpRepr.dstPort, short) + tcpRepr.toString();
  return r === DropReason.Ok ? s : `${s} ${dropMark(r)}`;
}

function udpText(
  b: Uint8Array,
  o: number,
  cap: number,
  decl: number,
  src: string,
  dst: string,
  short: boolean,
  firstFrag: boolean,
): string {
  if (cap < 8) {
    if (cap < 4) return `${short ? '' : `${src} > ${dst}: `}${dropMark(DropReason.Truncated)}`;
    return `${ports(src, get16(b, o), dst, get16(b, o + 2), short)}${dropMark(decl < 8 ? DropReason.UdpBadLength : DropReason.Truncated)}`;
  }
  const head = ports(src, get16(b, o), dst, get16(b, o + 2), short);
  const ulen = get16(b, o + 4);
  if (ulen < 8) return `${head}UDP ${dropMark(DropReason.UdpBadLength)}`;
  // A first fragment holds only the start of the datagram its length field describes.
  if (ulen > decl && !firstFrag) return `${head}UDP, length ${ulen - 8} ${dropMark(DropReason.UdpBadLength)}`;
  return `${head}UDP, length ${ulen - 8}`;
}

// ---- ICMP ------------------------------------------------------------------------------------------

/** Where the quoted IPv4 header of an ICMP error sits, or -1 when too little of it is there. */
function quoted4(b: Uint8Array, o: number, cap: number): number {
  const q = o + 8;
  if (cap < 28 || b[q]! >>> 4 !== 4 || (b[q]! & 0x0f) < 5) return -1;
  return q;
}

const UNREACH4: readonly string[] = [
  'net # unreachable',
  'host # unreachable',
  '',
  '',
  '',
  '# unreachable - source route failed',
  'net # unreachable - unknown',
  'host # unreachable - unknown',
  '# unreachable - source host isolated',
  'net # unreachable - admin prohibited',
  'host # unreachable - admin prohibited',
  'net # unreachable - tos prohibited',
  'host # unreachable - tos prohibited',
  'host # unreachable - admin prohibited filter',
  'host # unreachable - host precedence violation',
  'host # unreachable - precedence cutoff',
];

/** Milliseconds since midnight UT as tcpdump prints ICMP timestamps (hours are not wrapped). */
function msText(ms: number): string {
  const h = Math.floor(ms / 3600000);
  const m = Math.floor(ms / 60000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const f = ms % 1000;
  return `${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}.${f < 10 ? '00' : f < 100 ? '0' : ''}${f}`;
}

function icmp4Text(b: Uint8Array, o: number, cap: number, decl: number): string {
  if (icmp4View.check(b, o, cap) !== DropReason.Ok) {
    return `ICMP ${dropMark(decl < 8 ? DropReason.IcmpTruncated : DropReason.Truncated)}`;
  }
  const type = b[o]!;
  const code = b[o + 1]!;
  let verdict = cutVerdict(icmp4Repr.parse(icmp4View), cap, decl);
  if (verdict === DropReason.IcmpUnknownType) verdict = DropReason.Ok;
  const missing = missingMark(cap, decl);
  const q = quoted4(b, o, cap);
  const qdst = q >= 0 ? formatIpv4(get32(b, q + 16)) : '';
  let s: string;
  switch (type) {
    case 0:
    case 8:
      s = `echo ${type === 8 ? 'request' : 'reply'}, id ${get16(b, o + 4)}, seq ${get16(b, o + 6)}`;
      break;
    case 3: {
      if (q < 0) return `ICMP unreachable, length ${decl} ${dropMark(verdict || missing)}`;
      const qproto = b[q + 9]!;
      const qhl = (b[q]! & 0x0f) << 2;
      if (code === 2) s = `${qdst} protocol ${qproto} unreachable`;
      else if (code === 3) {
        if (q + qhl + 4 > o + cap)
          return `ICMP ${qdst} port unreachable, length ${decl} ${dropMark(missing)}`;
        const port = get16(b, q + qhl + 2);
        const name = qproto === IPPROTO_TCP ? 'tcp' : qproto === IPPROTO_UDP ? 'udp' : '';
        s = name
          ? `${qdst} ${name} port ${port} unreachable`
          : `${qdst} protocol ${qproto} port ${port} unreachable`;
      } else if (code === 4) {
        const mtu = get16(b, o + 6);
        s = `${qdst} unreachable - need to frag${mtu ? ` (mtu ${mtu})` : ''}`;
      } else if (code < UNREACH4.length) s = UNREACH4[code]!.replace('#', qdst);
      else s = `${qdst} unreachable - #${code}`;
      break;
    }
    case 4:
      s = 'source quench';
      break;
    case 5: {
      if (q < 0) return `ICMP redirect, length ${decl} ${dropMark(verdict || missing)}`;
      const gw = formatIpv4(get32(b, o + 4));
      const kind = ['redirect', 'redirect', 'redirect-tos', 'redirect-tos'][code] ?? `redirect-#${code}`;
      const to = code > 3 ? '' : code & 1 ? 'host ' : 'net ';
      s = `${kind} ${qdst} to ${to}${gw}`;
      break;
    }
    case 11:
      s =
        code === 0
          ? 'time exceeded in-transit'
          : code === 1
            ? 'ip reassembly time exceeded'
            : `time exceeded-#${code}`;
      break;
    case 12:
      s = code === 0 ? `parameter problem - octet ${b[o + 4]!}` : `parameter problem - code ${code}`;
      break;
    case 13:
    case 14:
      s = `time stamp ${type === 13 ? 'query' : 'reply'} id ${get16(b, o + 4)} seq ${get16(b, o + 6)}`;
      if (type === 14 && cap >= 20) {
        s += `: org ${msText(get32(b, o + 8))}, recv ${msText(get32(b, o + 12))}, xmit ${msText(get32(b, o + 16))}`;
      }
      break;
    case 9:
      // tcpdump: adds the lifetime and the router list.
      s = 'router advertisement';
      break;
    case 10:
      s = 'router solicitation';
      break;
    case 15:
      s = 'information request';
      break;
    case 16:
      s = 'information reply';
      break;
    case 17:
      s = 'address mask request';
      break;
    case 18:
      s = cap >= 12 ? `address mask is 0x${hex(b, o + 8, 4)}` : 'address mask reply';
      break;
    default:
      s = `type-#${type}`;
  }
  s = `ICMP ${s}, length ${decl}`;
  return verdict === DropReason.Ok ? s : `${s} ${dropMark(verdict)}`;
}

/** The quoted packet's destination port and transport name ("tcp"/"udp"), or '' when not found. */
function quoted6Port(b: Uint8Array, q: number, end: number): string {
  let nh = b[q + 6]!;
  let p = q + 40;
  // Skip the extension headers the quote may carry, as far as the quote goes.
  for (let i = 0; i < 8 && (nh === 0 || nh === 43 || nh === 60 || nh === 44) && p + 8 <= end; i++) {
    const hl = nh === 44 ? 8 : (b[p + 1]! + 1) << 3;
    if (nh === 44 && (get16(b, p + 2) & 0xfff8) !== 0) return '';
    nh = b[p]!;
    p += hl;
  }
  if ((nh !== IPPROTO_TCP && nh !== IPPROTO_UDP) || p + 4 > end) return '';
  return `${nh === IPPROTO_TCP ? 'tcp' : 'udp'} port ${get16(b, p + 2)}`;
}

const UNREACH6: readonly string[] = [
  'unreachable route #',
  // tcpdump prints this one with two spaces.
  ' unreachable prohibited #',
  'beyond scope #, source address @',
  'unreachable address #',
];

const PARAM6: readonly string[] = ['erroneous', 'next header', 'option', 'incomplete header chain'];

function icmp6Text(b: Uint8Array, o: number, cap: number, decl: number, hopLimit: number): string {
  if (icmp6View.check(b, o, cap) !== DropReason.Ok) {
    return `ICMP6 ${dropMark(decl < 8 ? DropReason.IcmpTruncated : DropReason.Truncated)}`;
  }
  const type = b[o]!;
  const code = b[o + 1]!;
  let verdict: DropReason;
  if (type >= 133 && type <= 137) {
    verdict = cutVerdict(ndpRepr.parse(icmp6View), cap, decl);
    if (verdict === DropReason.Ok) verdict = checkNdpHopLimit(hopLimit);
  } else {
    verdict = cutVerdict(icmp6Repr.parse(icmp6View), cap, decl);
    if (verdict === DropReason.IcmpUnknownType) verdict = DropReason.Ok;
  }
  const missing = missingMark(cap, decl);
  const q = o + 8;
  const hasQuote = cap >= 48 && b[q]! >>> 4 === 6;
  const qdst = hasQuote ? formatIpv6(b, q + 24) : '';
  let s: string;
  switch (type) {
    case 1:
      if (!hasQuote && code <= 4) {
        return `ICMP6, destination unreachable, length ${decl} ${dropMark(verdict || missing)}`;
      }
      if (code < UNREACH6.length) s = UNREACH6[code]!.replace('#', qdst).replace('@', formatIpv6(b, q + 8));
      else if (code === 4) {
        const port = quoted6Port(b, q, o + cap);
        s = port ? `unreachable port, ${qdst} ${port}` : `unreachable port, ${qdst}`;
      } else s = `unknown unreach code (${code})`;
      s = `destination unreachable, ${s}`;
      break;
    case 2:
      s = `packet too big, mtu ${get32(b, o + 4)}`;
      break;
    case 3:
      if (code === 0) s = hasQuote ? `time exceeded in-transit for ${qdst}` : 'time exceeded in-transit';
      else if (code === 1) s = 'time exceeded in-transit (reassembly)';
      else s = `time exceeded in-transit, unknown code (${code})`;
      break;
    case 4:
      s = `parameter problem, ${code < PARAM6.length ? `${PARAM6[code]!} - octet ${get32(b, o + 4)}` : `code-#${code}`}`;
      break;
    case 128:
    case 129:
      s = `echo ${type === 128 ? 'request' : 'reply'}, id ${get16(b, o + 4)}, seq ${get16(b, o + 6)}`;
      break;
    case 130:
    case 131:
    case 132:
      // tcpdump: appends the maximum response delay and the group address, without a separator.
      s = `multicast listener ${type === 130 ? 'query' : type === 131 ? 'report' : 'done'}`;
      break;
    case 143:
      s = `multicast listener report v2, ${get16(b, o + 6)} group record(s)`;
      break;
    case 133:
      s = 'router solicitation';
      break;
    case 134:
      s = 'router advertisement';
      break;
    case 135:
    case 136:
      if (cap < 24)
        return `ICMP6, neighbor ${type === 135 ? 'solicitation' : 'advertisement'}, length ${decl} ${dropMark(verdict || missing)}`;
      s =
        type === 135
          ? `neighbor solicitation, who has ${formatIpv6(b, o + 8)}`
          : `neighbor advertisement, tgt is ${formatIpv6(b, o + 8)}`;
      break;
    case 137:
      if (cap < 40) return `ICMP6, redirect, length ${decl} ${dropMark(verdict || missing)}`;
      s = `redirect, ${formatIpv6(b, o + 24)} to ${formatIpv6(b, o + 8)}`;
      break;
    case 200:
      s = 'mtrace response';
      break;
    case 201:
      s = 'mtrace';
      break;
    default:
      s = `unknown icmp6 type (${type})`;
  }
  s = `ICMP6, ${s}, length ${decl}`;
  return verdict === DropReason.Ok ? s : `${s} ${dropMark(verdict)}`;
}

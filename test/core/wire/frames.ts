/**
 * Sample frames of every kind the printer knows, built with the project's own reprs (`emit`) and
 * checksum helpers — hand-built, not captured. Used by the printer's unit tests and by the tshark and
 * tcpdump cross-checks, which decode the same bytes with real tools.
 *
 * Every frame is an Ethernet frame; `ipOff` says where its IP packet starts (for writing the same
 * packet to a raw-IP capture), or is -1 for ARP.
 */
import { parseIpv4, parseIpv6, parseMac } from '../../../src/core/wire/address.js';
import { ArpOperation, ArpRepr } from '../../../src/core/wire/arp.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  EthernetRepr,
} from '../../../src/core/wire/ethernet.js';
import {
  fillIcmpv4Checksum,
  Icmpv4Repr,
  Icmpv4TimeExceeded,
  Icmpv4Type,
  Icmpv4Unreachable,
  IPPROTO_ICMP,
} from '../../../src/core/wire/icmpv4.js';
import {
  fillIcmpv6Checksum,
  Icmpv6Repr,
  Icmpv6TimeExceeded,
  Icmpv6Type,
  Icmpv6Unreachable,
  IPPROTO_ICMPV6,
} from '../../../src/core/wire/icmpv6.js';
import { Ipv4Repr } from '../../../src/core/wire/ipv4.js';
import {
  IPV6_NH_DEST_OPTS,
  IPV6_NH_FRAGMENT,
  IPV6_NH_HOP_BY_HOP,
  Ipv6FragmentRepr,
  Ipv6Repr,
} from '../../../src/core/wire/ipv6.js';
import {
  NdpOptionType,
  NdpRepr,
  PREFIX_FLAG_AUTONOMOUS,
  PREFIX_FLAG_ON_LINK,
} from '../../../src/core/wire/ndp.js';
import { type ChecksumAddresses, checksumAddresses4 } from '../../../src/core/wire/pseudo.js';
import { fillTcpChecksum, IPPROTO_TCP, TcpFlag, TcpRepr } from '../../../src/core/wire/tcp.js';
import { fillUdpChecksum, IPPROTO_UDP, UdpRepr } from '../../../src/core/wire/udp.js';

export interface SampleFrame {
  name: string;
  /** The whole Ethernet frame. */
  eth: Uint8Array;
  /** Offset of the IP packet within `eth`, or -1 when the frame carries no IP packet. */
  ipOff: number;
}

// ---- addresses -------------------------------------------------------------------------------------

export function mac(s: string): Uint8Array {
  const b = new Uint8Array(6);
  if (!parseMac(s, b)) throw new Error(`bad MAC ${s}`);
  return b;
}

export function ip4(s: string): number {
  const v = parseIpv4(s);
  if (v < 0) throw new Error(`bad IPv4 ${s}`);
  return v;
}

export function ip6(s: string): Uint8Array {
  const b = new Uint8Array(16);
  if (!parseIpv6(s, b)) throw new Error(`bad IPv6 ${s}`);
  return b;
}

export const MAC_A = mac('02:00:00:00:00:0a');
export const MAC_B = mac('02:00:00:00:00:0b');
export const MAC_R = mac('02:00:00:00:00:01');
export const MAC_BCAST = mac('ff:ff:ff:ff:ff:ff');
export const A4 = ip4('192.0.2.1');
export const B4 = ip4('192.168.0.1');
export const R4 = ip4('198.51.100.1');
export const A6 = ip6('2001:db8::1');
export const B6 = ip6('2001:db8::2');

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `n` bytes counting up from `start` (payload filler). */
export function filler(n: number, start = 0): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (start + i) & 0xff;
  return b;
}

// ---- layer builders ----------------------------------------------------------------------------------

export interface EtherOpts {
  dst?: Uint8Array;
  src?: Uint8Array;
  vlan?: { vid: number; pcp: number };
}

export function ether(type: number, payload: Uint8Array, o: EtherOpts = {}): Uint8Array {
  const r = new EthernetRepr();
  r.dst.set(o.dst ?? MAC_B);
  r.src.set(o.src ?? MAC_A);
  r.ethertype = type;
  if (o.vlan) {
    r.vlan.present = true;
    r.vlan.vid = o.vlan.vid;
    r.vlan.pcp = o.vlan.pcp;
  }
  const out = new Uint8Array(r.headerLen() + payload.length);
  const n = r.emit(out, 0);
  out.set(payload, n);
  return out;
}

export interface V4Opts {
  src: number;
  dst: number;
  protocol: number;
  id?: number;
  ttl?: number;
  df?: boolean;
  mf?: boolean;
  /** In bytes. */
  fragOff?: number;
  options?: number[];
}

export function ipv4(h: V4Opts, payload: Uint8Array): Uint8Array {
  const r = new Ipv4Repr();
  r.src = h.src;
  r.dst = h.dst;
  r.protocol = h.protocol;
  r.identification = h.id ?? 0x1234;
  r.ttl = h.ttl ?? 64;
  r.dontFragment = h.df ?? false;
  r.moreFragments = h.mf ?? false;
  r.fragmentOffset = h.fragOff ?? 0;
  const opts = h.options ?? [];
  r.options.set(opts);
  r.optionsLen = opts.length;
  r.payloadLen = payload.length;
  const out = new Uint8Array(r.headerLen() + payload.length);
  const n = r.emit(out, 0);
  out.set(payload, n);
  return out;
}

export interface V6Opts {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit?: number;
}

export function ipv6(h: V6Opts, payload: Uint8Array): Uint8Array {
  const r = new Ipv6Repr();
  r.src.set(h.src);
  r.dst.set(h.dst);
  r.nextHeader = h.nextHeader;
  r.hopLimit = h.hopLimit ?? 64;
  r.payloadLen = payload.length;
  const out = new Uint8Array(40 + payload.length);
  r.emit(out, 0);
  out.set(payload, 40);
  return out;
}

export function addrs4(src: number, dst: number): ChecksumAddresses {
  return checksumAddresses4(src, dst);
}

export function addrs6(src: Uint8Array, dst: Uint8Array): ChecksumAddresses {
  return { src4: 0, dst4: 0, v6: concat(src, dst), src6Off: 0, dst6Off: 16 };
}

export function tcp(
  a: ChecksumAddresses,
  build: (r: TcpRepr) => void,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const r = new TcpRepr();
  build(r);
  r.payloadLen = payload.length;
  const out = new Uint8Array(r.headerLen() + payload.length);
  const n = r.emit(out, 0);
  out.set(payload, n);
  fillTcpChecksum(out, 0, out.length, a);
  return out;
}

export function udp(a: ChecksumAddresses, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const r = new UdpRepr();
  r.srcPort = sport;
  r.dstPort = dport;
  r.payloadLen = payload.length;
  const out = new Uint8Array(8 + payload.length);
  r.emit(out, 0);
  out.set(payload, 8);
  fillUdpChecksum(out, 0, out.length, a);
  return out;
}

export function icmp4(r: Icmpv4Repr, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  r.emit(out, 0);
  out.set(data, 8);
  fillIcmpv4Checksum(out, 0, out.length);
  return out;
}

export function icmp6(a: ChecksumAddresses, r: Icmpv6Repr, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  r.emit(out, 0);
  out.set(data, 8);
  fillIcmpv6Checksum(out, 0, out.length, a);
  return out;
}

export function ndp(a: ChecksumAddresses, build: (r: NdpRepr) => void): Uint8Array {
  const r = new NdpRepr();
  build(r);
  const out = new Uint8Array(r.headerLen());
  r.emit(out, 0);
  fillIcmpv6Checksum(out, 0, out.length, a);
  return out;
}

/** An extension header (Hop-by-Hop or Destination Options) of 8 bytes holding one PadN option. */
function padExt(next: number): Uint8Array {
  return Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0);
}

function frag6(next: number, offset: number, more: boolean, ident: number): Uint8Array {
  const r = new Ipv6FragmentRepr();
  r.nextHeader = next;
  r.fragmentOffset = offset;
  r.moreFragments = more;
  r.identification = ident;
  const out = new Uint8Array(8);
  r.emit(out, 0);
  return out;
}

// ---- the samples -----------------------------------------------------------------------------------

function v4Frame(name: string, h: V4Opts, l4: Uint8Array, o: EtherOpts = {}): SampleFrame {
  const ip = ipv4(h, l4);
  const eth = ether(ETHERTYPE_IPV4, ip, o);
  return { name, eth, ipOff: eth.length - ip.length };
}

function v6Frame(name: string, h: V6Opts, payload: Uint8Array, o: EtherOpts = {}): SampleFrame {
  const ip = ipv6(h, payload);
  const eth = ether(ETHERTYPE_IPV6, ip, o);
  return { name, eth, ipOff: eth.length - ip.length };
}

const COOKIE = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04);
const DIGEST = filler(16, 0xa0);

function synOptions(r: TcpRepr, tsVal: number, tsEcr: number, wscale: number): void {
  r.options.addMss(1460);
  r.options.addSackPermitted();
  r.options.addTimestamps(tsVal, tsEcr);
  r.options.addNop();
  r.options.addWindowScale(wscale);
}

/** Every sample, in a stable order (the order of the captures the cross-check tests write). */
export function sampleFrames(): SampleFrame[] {
  const out: SampleFrame[] = [];
  const a4 = addrs4(A4, B4);
  const b4 = addrs4(B4, A4);
  const a6 = addrs6(A6, B6);
  const b6 = addrs6(B6, A6);

  // ARP
  for (const op of [ArpOperation.Request, ArpOperation.Reply]) {
    const r = new ArpRepr();
    r.operation = op;
    if (op === ArpOperation.Request) {
      r.senderHardware.set(MAC_A);
      r.senderProtocol = ip4('192.168.0.2');
      r.targetProtocol = B4;
    } else {
      r.senderHardware.set(MAC_B);
      r.senderProtocol = B4;
      r.targetHardware.set(MAC_A);
      r.targetProtocol = ip4('192.168.0.2');
    }
    const body = new Uint8Array(28);
    r.emit(body, 0);
    const o = op === ArpOperation.Request ? { dst: MAC_BCAST, src: MAC_A } : { dst: MAC_A, src: MAC_B };
    out.push({
      name: op === ArpOperation.Request ? 'arp-request' : 'arp-reply',
      eth: ether(ETHERTYPE_ARP, body, o),
      ipOff: -1,
    });
  }

  // TCP over IPv4
  const tcp4 = { src: A4, dst: B4, protocol: IPPROTO_TCP, df: true };
  const tcp4r = { src: B4, dst: A4, protocol: IPPROTO_TCP, df: true };
  out.push(
    v4Frame(
      'tcp-syn',
      tcp4,
      tcp(a4, (r) => {
        r.srcPort = 41000;
        r.dstPort = 5001;
        r.seq = 1000;
        r.flags = TcpFlag.SYN;
        r.window = 64240;
        synOptions(r, 100, 0, 7);
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-syn-ack',
      tcp4r,
      tcp(b4, (r) => {
        r.srcPort = 5001;
        r.dstPort = 41000;
        r.seq = 4000000000;
        r.ack = 1001;
        r.flags = TcpFlag.SYN | TcpFlag.ACK;
        r.window = 65160;
        synOptions(r, 200, 100, 8);
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-data',
      tcp4,
      tcp(
        a4,
        (r) => {
          r.srcPort = 41000;
          r.dstPort = 5001;
          r.seq = 1001;
          r.ack = 4000000001;
          r.flags = TcpFlag.ACK | TcpFlag.PSH;
          r.window = 502;
          r.options.addNop();
          r.options.addNop();
          r.options.addTimestamps(101, 200);
        },
        filler(100),
      ),
    ),
  );
  out.push(
    v4Frame(
      'tcp-sack',
      tcp4r,
      tcp(b4, (r) => {
        r.srcPort = 5001;
        r.dstPort = 41000;
        r.seq = 4000000001;
        r.ack = 1101;
        r.flags = TcpFlag.ACK;
        r.window = 501;
        r.options.addNop();
        r.options.addNop();
        r.options.addTimestamps(201, 101);
        r.options.addNop();
        r.options.addNop();
        r.options.addSack([1201, 1301, 1401, 1501]);
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-md5',
      tcp4,
      tcp(a4, (r) => {
        r.srcPort = 41001;
        r.dstPort = 179;
        r.seq = 7;
        r.ack = 9;
        r.flags = TcpFlag.ACK;
        r.window = 1024;
        r.options.addNop();
        r.options.addNop();
        r.options.addMd5(DIGEST);
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-fastopen',
      tcp4,
      tcp(
        a4,
        (r) => {
          r.srcPort = 41002;
          r.dstPort = 5001;
          r.seq = 2000;
          r.flags = TcpFlag.SYN;
          r.window = 64240;
          r.options.addMss(1460);
          r.options.addNop();
          r.options.addNop();
          r.options.addSackPermitted();
          r.options.addNop();
          r.options.addWindowScale(7);
          r.options.addFastOpen(COOKIE);
          r.options.addNop();
          r.options.addNop();
        },
        filler(10, 0x41),
      ),
    ),
  );
  out.push(
    v4Frame(
      'tcp-fastopen-exp',
      tcp4,
      tcp(a4, (r) => {
        r.srcPort = 41003;
        r.dstPort = 5001;
        r.seq = 3000;
        r.flags = TcpFlag.SYN;
        r.window = 64240;
        r.options.addMss(1460);
        r.options.addNop();
        r.options.addNop();
        r.options.addFastOpen([], true);
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-unknown-option',
      tcp4,
      tcp(a4, (r) => {
        r.srcPort = 41004;
        r.dstPort = 5001;
        r.seq = 5;
        r.ack = 6;
        r.flags = TcpFlag.ACK;
        r.window = 1000;
        r.options.addUnknown(99, [0xab, 0xcd]);
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-rst',
      tcp4r,
      tcp(b4, (r) => {
        r.srcPort = 5001;
        r.dstPort = 41000;
        r.seq = 4000000001;
        r.ack = 1101;
        r.flags = TcpFlag.RST | TcpFlag.ACK;
        r.window = 0;
      }),
    ),
  );
  out.push(
    v4Frame(
      'tcp-fin',
      tcp4,
      tcp(a4, (r) => {
        r.srcPort = 41000;
        r.dstPort = 5001;
        r.seq = 1101;
        r.ack = 4000000001;
        r.flags = TcpFlag.FIN | TcpFlag.ACK;
        r.window = 502;
      }),
    ),
  );
  out.push(
    v6Frame(
      'tcp6-syn',
      { src: A6, dst: B6, nextHeader: IPPROTO_TCP },
      tcp(a6, (r) => {
        r.srcPort = 41010;
        r.dstPort = 443;
        r.seq = 123456789;
        r.flags = TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR;
        r.window = 64800;
        r.options.addMss(1440);
        r.options.addSackPermitted();
        r.options.addTimestamps(1, 0);
        r.options.addNop();
        r.options.addWindowScale(7);
      }),
    ),
  );

  // UDP, VLAN, IPv4 options, IPv4 fragments
  const hello = Uint8Array.from([0x68, 0x65, 0x6c, 0x6c, 0x6f]);
  out.push(v4Frame('udp4', { src: A4, dst: B4, protocol: IPPROTO_UDP }, udp(a4, 33333, 44444, hello)));
  out.push(
    v4Frame('udp4-vlan', { src: A4, dst: B4, protocol: IPPROTO_UDP }, udp(a4, 33333, 44444, hello), {
      vlan: { vid: 100, pcp: 3 },
    }),
  );
  out.push(
    v4Frame(
      'udp4-options',
      {
        src: A4,
        dst: B4,
        protocol: IPPROTO_UDP,
        ttl: 1,
        // Router Alert, NOP, Record Route with room for two addresses (one recorded).
        options: [0x94, 4, 0, 0, 1, 7, 11, 8, 192, 0, 2, 254, 0, 0, 0, 0],
      },
      udp(a4, 33333, 44444, hello),
    ),
  );
  {
    const whole = udp(a4, 33334, 44444, filler(1492));
    const first = whole.subarray(0, 1480);
    const second = whole.subarray(1480);
    const h = { src: A4, dst: B4, protocol: IPPROTO_UDP, id: 0xbeef };
    out.push(v4Frame('udp4-frag1', { ...h, mf: true }, first));
    out.push(v4Frame('udp4-frag2', { ...h, fragOff: 1480 }, second));
  }
  out.push(v6Frame('udp6', { src: A6, dst: B6, nextHeader: IPPROTO_UDP }, udp(a6, 33333, 44444, hello)));

  // ICMP
  const ping = filler(56);
  out.push(
    v4Frame(
      'icmp-echo-request',
      { src: A4, dst: B4, protocol: IPPROTO_ICMP, df: true },
      icmp4(new Icmpv4Repr().setEcho(Icmpv4Type.EchoRequest, 0x1234, 1, 56), ping),
    ),
  );
  out.push(
    v4Frame(
      'icmp-echo-reply',
      { src: B4, dst: A4, protocol: IPPROTO_ICMP },
      icmp4(new Icmpv4Repr().setEcho(Icmpv4Type.EchoReply, 0x1234, 1, 56), ping),
    ),
  );
  {
    // A 440-byte TCP segment with DF met a 296-byte link: the router quotes all of it (an ICMP error
    // may carry up to 576 bytes), so the quoted segment's checksum is whole and checkable.
    const seg = tcp(
      a4,
      (r) => {
        r.srcPort = 41000;
        r.dstPort = 5001;
        r.seq = 1101;
        r.ack = 4000000001;
        r.flags = TcpFlag.ACK;
        r.window = 502;
      },
      filler(400),
    );
    const quoted = ipv4({ src: A4, dst: B4, protocol: IPPROTO_TCP, df: true }, seg);
    out.push(
      v4Frame(
        'icmp-frag-needed',
        { src: R4, dst: A4, protocol: IPPROTO_ICMP },
        icmp4(
          new Icmpv4Repr().setError(
            Icmpv4Type.DestUnreachable,
            Icmpv4Unreachable.FragmentationNeeded,
            quoted.length,
            296,
          ),
          quoted,
        ),
        { src: MAC_R, dst: MAC_A },
      ),
    );
  }
  {
    const quoted = ipv4({ src: A4, dst: B4, protocol: IPPROTO_UDP }, udp(a4, 33333, 44444, hello));
    out.push(
      v4Frame(
        'icmp-port-unreachable',
        { src: B4, dst: A4, protocol: IPPROTO_ICMP },
        icmp4(
          new Icmpv4Repr().setError(
            Icmpv4Type.DestUnreachable,
            Icmpv4Unreachable.PortUnreachable,
            quoted.length,
          ),
          quoted,
        ),
        { src: MAC_B, dst: MAC_A },
      ),
    );
    const quotedTtl1 = ipv4(
      { src: A4, dst: B4, protocol: IPPROTO_UDP, ttl: 1 },
      udp(a4, 33333, 44444, hello),
    );
    out.push(
      v4Frame(
        'icmp-time-exceeded',
        { src: R4, dst: A4, protocol: IPPROTO_ICMP },
        icmp4(
          new Icmpv4Repr().setError(
            Icmpv4Type.TimeExceeded,
            Icmpv4TimeExceeded.TtlExceeded,
            quotedTtl1.length,
          ),
          quotedTtl1,
        ),
        { src: MAC_R, dst: MAC_A },
      ),
    );
  }

  // IPv6 extension headers and fragments
  out.push(
    v6Frame(
      'ipv6-ext-headers',
      { src: A6, dst: B6, nextHeader: IPV6_NH_HOP_BY_HOP },
      concat(padExt(IPV6_NH_DEST_OPTS), padExt(IPPROTO_UDP), udp(a6, 33335, 44444, hello)),
    ),
  );
  {
    const whole = udp(a6, 33336, 44444, filler(1492));
    const first = whole.subarray(0, 1232);
    const second = whole.subarray(1232);
    out.push(
      v6Frame(
        'ipv6-frag1',
        { src: A6, dst: B6, nextHeader: IPV6_NH_FRAGMENT },
        concat(frag6(IPPROTO_UDP, 0, true, 0xcafe), first),
      ),
    );
    out.push(
      v6Frame(
        'ipv6-frag2',
        { src: A6, dst: B6, nextHeader: IPV6_NH_FRAGMENT },
        concat(frag6(IPPROTO_UDP, 1232, false, 0xcafe), second),
      ),
    );
  }

  // ICMPv6
  const v6icmp = { src: A6, dst: B6, nextHeader: IPPROTO_ICMPV6 };
  const v6icmpR = { src: B6, dst: A6, nextHeader: IPPROTO_ICMPV6 };
  out.push(
    v6Frame(
      'icmp6-echo-request',
      v6icmp,
      icmp6(a6, new Icmpv6Repr().setEcho(Icmpv6Type.EchoRequest, 0x4321, 7, 56), ping),
    ),
  );
  out.push(
    v6Frame(
      'icmp6-echo-reply',
      v6icmpR,
      icmp6(b6, new Icmpv6Repr().setEcho(Icmpv6Type.EchoReply, 0x4321, 7, 56), ping),
    ),
  );
  {
    const R6 = ip6('2001:db8:ff::1');
    const r6a = addrs6(R6, A6);
    // An IPsec ESP packet too big for the next link: the quote is cut at 1232 bytes (the error must
    // fit in 1280). ESP keeps tshark from checking a transport checksum over the cut quote.
    const espBody = filler(1400, 7);
    espBody.set([0, 0, 0x10, 0x01, 0, 0, 0, 42]);
    const big = ipv6({ src: A6, dst: B6, nextHeader: 50 }, espBody);
    const quoted = big.subarray(0, 1232);
    out.push(
      v6Frame(
        'icmp6-packet-too-big',
        { src: R6, dst: A6, nextHeader: IPPROTO_ICMPV6 },
        icmp6(r6a, new Icmpv6Repr().setError(Icmpv6Type.PacketTooBig, 0, quoted.length, 1280), quoted),
        { src: MAC_R, dst: MAC_A },
      ),
    );
    const dgram = ipv6({ src: A6, dst: B6, nextHeader: IPPROTO_UDP }, udp(a6, 33333, 44444, hello));
    out.push(
      v6Frame(
        'icmp6-port-unreachable',
        v6icmpR,
        icmp6(
          b6,
          new Icmpv6Repr().setError(
            Icmpv6Type.DestUnreachable,
            Icmpv6Unreachable.PortUnreachable,
            dgram.length,
          ),
          dgram,
        ),
        { src: MAC_B, dst: MAC_A },
      ),
    );
    const dgramHop1 = ipv6(
      { src: A6, dst: B6, nextHeader: IPPROTO_UDP, hopLimit: 1 },
      udp(a6, 33333, 44444, hello),
    );
    out.push(
      v6Frame(
        'icmp6-time-exceeded',
        { src: R6, dst: A6, nextHeader: IPPROTO_ICMPV6 },
        icmp6(
          r6a,
          new Icmpv6Repr().setError(
            Icmpv6Type.TimeExceeded,
            Icmpv6TimeExceeded.HopLimitExceeded,
            dgramHop1.length,
          ),
          dgramHop1,
        ),
        { src: MAC_R, dst: MAC_A },
      ),
    );
  }

  // NDP
  const LL_A = ip6('fe80::a');
  const LL_R = ip6('fe80::1');
  const SOLICITED = ip6('ff02::1:ff00:2');
  const ALL_NODES = ip6('ff02::1');
  const ALL_ROUTERS = ip6('ff02::2');
  const nd = (src: Uint8Array, dst: Uint8Array) => ({ src, dst, nextHeader: IPPROTO_ICMPV6, hopLimit: 255 });
  out.push(
    v6Frame(
      'ndp-ns',
      nd(LL_A, SOLICITED),
      ndp(addrs6(LL_A, SOLICITED), (r) => {
        r.reset(Icmpv6Type.NeighborSolicit);
        r.target.set(B6);
        r.addLinkAddr(NdpOptionType.SourceLinkAddr, MAC_A);
      }),
      { dst: mac('33:33:ff:00:00:02') },
    ),
  );
  out.push(
    v6Frame(
      'ndp-na',
      nd(B6, LL_A),
      ndp(addrs6(B6, LL_A), (r) => {
        r.reset(Icmpv6Type.NeighborAdvert);
        r.target.set(B6);
        r.solicited = true;
        r.override = true;
        r.addLinkAddr(NdpOptionType.TargetLinkAddr, MAC_B);
      }),
      { src: MAC_B, dst: MAC_A },
    ),
  );
  out.push(
    v6Frame(
      'ndp-rs',
      nd(LL_A, ALL_ROUTERS),
      ndp(addrs6(LL_A, ALL_ROUTERS), (r) => {
        r.reset(Icmpv6Type.RouterSolicit);
        r.addLinkAddr(NdpOptionType.SourceLinkAddr, MAC_A);
      }),
      { dst: mac('33:33:00:00:00:02') },
    ),
  );
  out.push(
    v6Frame(
      'ndp-ra',
      nd(LL_R, ALL_NODES),
      ndp(addrs6(LL_R, ALL_NODES), (r) => {
        r.reset(Icmpv6Type.RouterAdvert);
        r.curHopLimit = 64;
        r.routerLifetime = 1800;
        r.reachableTime = 0;
        r.retransTimer = 0;
        const p = r.addOption(NdpOptionType.PrefixInfo)!;
        p.prefixLength = 64;
        p.prefixFlags = PREFIX_FLAG_ON_LINK | PREFIX_FLAG_AUTONOMOUS;
        p.validLifetime = 2592000;
        p.preferredLifetime = 604800;
        p.prefix.set(ip6('2001:db8::'));
        r.addMtu(1500);
        r.addLinkAddr(NdpOptionType.SourceLinkAddr, MAC_R);
      }),
      { src: MAC_R, dst: mac('33:33:00:00:00:01') },
    ),
  );
  {
    const dest = ip6('2001:db8:1::5');
    // 8 payload bytes: the quoted packet fills the option exactly (tshark flags option padding).
    const quoted = ipv6(
      { src: LL_A, dst: dest, nextHeader: IPPROTO_UDP },
      udp(addrs6(LL_A, dest), 33333, 44444, filler(8, 0x61)),
    );
    out.push(
      v6Frame(
        'ndp-redirect',
        nd(LL_R, LL_A),
        ndp(addrs6(LL_R, LL_A), (r) => {
          r.reset(Icmpv6Type.Redirect);
          r.target.set(ip6('fe80::2'));
          r.destination.set(dest);
          r.addLinkAddr(NdpOptionType.TargetLinkAddr, mac('02:00:00:00:00:02'));
          r.addRedirectedHeader(quoted, 0, quoted.length);
        }),
        { src: MAC_R, dst: MAC_A },
      ),
    );
  }
  return out;
}

/**
 * More frames for the printer's wording checks: every ICMP/ICMPv6 error code, redirects, parameter
 * problems, stacked and DEI-marked VLAN tags, an unknown EtherType, an 802.3 length frame, other IP
 * protocols. Not all of them are well-formed for tshark (e.g. deprecated codes), so only tcpdump
 * compares them.
 */
export function extraFrames(): SampleFrame[] {
  const out: SampleFrame[] = [];
  const a4 = addrs4(A4, B4);
  const a6 = addrs6(A6, B6);
  const hello = Uint8Array.from([0x68, 0x65, 0x6c, 0x6c, 0x6f]);
  const udpQuote = ipv4({ src: A4, dst: B4, protocol: IPPROTO_UDP }, udp(a4, 33333, 44444, hello));
  const tcpQuote = ipv4(
    { src: A4, dst: B4, protocol: IPPROTO_TCP },
    tcp(a4, (r) => {
      r.srcPort = 41000;
      r.dstPort = 22;
      r.seq = 1;
      r.flags = TcpFlag.SYN;
    }),
  );
  const greQuote = ipv4({ src: A4, dst: B4, protocol: 47 }, filler(8));
  const err4 = (name: string, type: number, code: number, quoted: Uint8Array, param = 0) =>
    v4Frame(
      name,
      { src: R4, dst: A4, protocol: IPPROTO_ICMP },
      icmp4(new Icmpv4Repr().setError(type, code, quoted.length, param), quoted),
    );
  for (let code = 0; code <= 15; code++) {
    out.push(err4(`icmp-unreach-${code}`, Icmpv4Type.DestUnreachable, code, udpQuote, 1400));
  }
  out.push(err4('icmp-unreach-tcp-port', Icmpv4Type.DestUnreachable, 3, tcpQuote));
  out.push(err4('icmp-unreach-gre-port', Icmpv4Type.DestUnreachable, 3, greQuote));
  out.push(err4('icmp-unreach-gre-proto', Icmpv4Type.DestUnreachable, 2, greQuote));
  out.push(err4('icmp-needfrag-nomtu', Icmpv4Type.DestUnreachable, 4, udpQuote, 0));
  out.push(err4('icmp-reassembly', Icmpv4Type.TimeExceeded, 1, udpQuote));
  out.push(err4('icmp-source-quench', Icmpv4Type.SourceQuench, 0, udpQuote));
  for (let code = 0; code <= 3; code++) {
    out.push(err4(`icmp-redirect-${code}`, Icmpv4Type.Redirect, code, udpQuote, ip4('192.0.2.254')));
  }
  for (let code = 0; code <= 2; code++) {
    out.push(err4(`icmp-param-${code}`, Icmpv4Type.ParamProblem, code, udpQuote, 9));
  }
  {
    const raw = new Uint8Array(8 + 4);
    raw[0] = 13; // timestamp request: a type the printer names without decoding
    fillIcmpv4Checksum(raw, 0, raw.length);
    out.push(v4Frame('icmp-timestamp', { src: A4, dst: B4, protocol: IPPROTO_ICMP }, raw));
    const unk = new Uint8Array(8);
    unk[0] = 42;
    unk[1] = 7;
    fillIcmpv4Checksum(unk, 0, unk.length);
    out.push(v4Frame('icmp-type-42', { src: A4, dst: B4, protocol: IPPROTO_ICMP }, unk));
  }
  out.push(v4Frame('ipv4-gre', { src: A4, dst: B4, protocol: 47 }, filler(8)));
  out.push(v4Frame('ipv4-proto-253', { src: A4, dst: B4, protocol: 253 }, filler(8)));
  out.push(v6Frame('ipv6-proto-253', { src: A6, dst: B6, nextHeader: 253 }, filler(8)));
  out.push(v6Frame('ipv6-no-next', { src: A6, dst: B6, nextHeader: 59 }, new Uint8Array(0)));

  const dgram = ipv6({ src: A6, dst: B6, nextHeader: IPPROTO_UDP }, udp(a6, 33333, 44444, hello));
  const tcp6 = ipv6(
    { src: A6, dst: B6, nextHeader: IPPROTO_TCP },
    tcp(a6, (r) => {
      r.srcPort = 41010;
      r.dstPort = 22;
      r.seq = 1;
      r.flags = TcpFlag.SYN;
    }),
  );
  const R6 = ip6('2001:db8:ff::1');
  const err6 = (name: string, type: number, code: number, quoted: Uint8Array, param = 0) =>
    v6Frame(
      name,
      { src: R6, dst: A6, nextHeader: IPPROTO_ICMPV6 },
      icmp6(addrs6(R6, A6), new Icmpv6Repr().setError(type, code, quoted.length, param), quoted),
    );
  for (let code = 0; code <= 8; code++) {
    out.push(err6(`icmp6-unreach-${code}`, Icmpv6Type.DestUnreachable, code, dgram));
  }
  out.push(err6('icmp6-unreach-tcp-port', Icmpv6Type.DestUnreachable, 4, tcp6));
  out.push(err6('icmp6-reassembly', Icmpv6Type.TimeExceeded, 1, dgram));
  for (let code = 0; code <= 3; code++) {
    out.push(err6(`icmp6-param-${code}`, Icmpv6Type.ParamProblem, code, dgram, 6));
  }
  {
    const unk = new Uint8Array(8);
    unk[0] = 200;
    const h = { src: A6, dst: B6, nextHeader: IPPROTO_ICMPV6 };
    fillIcmpv6Checksum(unk, 0, 8, a6);
    out.push(v6Frame('icmp6-type-200', h, unk));
  }
  {
    const LL_R = ip6('fe80::1');
    const ALL = ip6('ff02::1');
    out.push(
      v6Frame(
        'ndp-na-router',
        { src: LL_R, dst: ALL, nextHeader: IPPROTO_ICMPV6, hopLimit: 255 },
        ndp(addrs6(LL_R, ALL), (r) => {
          r.reset(Icmpv6Type.NeighborAdvert);
          r.target.set(LL_R);
          r.router = true;
          r.override = true;
        }),
      ),
    );
  }

  // Link layer oddities.
  const ipUdp = ipv4({ src: A4, dst: B4, protocol: IPPROTO_UDP }, udp(a4, 33333, 44444, hello));
  {
    const r = new EthernetRepr();
    r.dst.set(MAC_B);
    r.src.set(MAC_A);
    r.ethertype = ETHERTYPE_IPV4;
    r.outerVlan.present = true;
    r.outerVlan.vid = 10;
    r.vlan.present = true;
    r.vlan.vid = 200;
    r.vlan.pcp = 5;
    r.vlan.dei = true;
    const eth = new Uint8Array(r.headerLen() + ipUdp.length);
    const n = r.emit(eth, 0);
    eth.set(ipUdp, n);
    out.push({ name: 'qinq-dei', eth, ipOff: n });
  }
  out.push({ name: 'ethertype-unknown', eth: ether(0x88b5, filler(46)), ipOff: -1 });
  {
    const eth = ether(0x0026, filler(46));
    out.push({ name: 'ieee802.3', eth, ipOff: -1 });
  }
  return out;
}

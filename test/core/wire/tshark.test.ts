/**
 * Cross-checks against real tools. The sample frames (frames.ts, built with our reprs' `emit` and
 * checksum helpers) go into a pcap (Ethernet, our PcapWriter) and a pcapng (raw IP, our
 * PcapngWriter). Then:
 *
 * - tshark, with every checksum check it has switched on, finds no malformed packet, no bad
 *   checksum and no expert error at all. (`tcp.check_checksum`, `udp.check_checksum` and
 *   `ip.check_checksum` are the preferences `tshark -G defaultprefs` lists; ICMP and ICMPv6
 *   checksums have no preference in tshark 4.0: they are always verified.)
 * - The fields tshark decodes equal what our parsers decode from the same bytes, frame by frame.
 * - tcpdump prints the lines printFrame prints, up to the deviations print.ts documents.
 *
 * Missing tools skip the tests that need them, with the reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ByteCollector, LINKTYPE_RAW } from '../../../src/core/pcap/common.js';
import { PcapWriter } from '../../../src/core/pcap/pcap.js';
import { PcapngWriter } from '../../../src/core/pcap/pcapng.js';
import { formatIpv4, formatIpv6, formatMac } from '../../../src/core/wire/address.js';
import { ArpRepr, ArpView } from '../../../src/core/wire/arp.js';
import { get16, hex } from '../../../src/core/wire/bytes.js';
import { DropReason } from '../../../src/core/wire/drop.js';
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  EthernetRepr,
  EthernetView,
} from '../../../src/core/wire/ethernet.js';
import {
  Icmpv4Repr,
  Icmpv4Type,
  Icmpv4Unreachable,
  Icmpv4View,
  IPPROTO_ICMP,
  isIcmpv4Error,
} from '../../../src/core/wire/icmpv4.js';
import {
  Icmpv6Repr,
  Icmpv6Type,
  Icmpv6View,
  IPPROTO_ICMPV6,
  isIcmpv6Error,
} from '../../../src/core/wire/icmpv6.js';
import { Ipv4Repr, Ipv4View } from '../../../src/core/wire/ipv4.js';
import { Ipv6ExtWalker, Ipv6Repr, Ipv6View } from '../../../src/core/wire/ipv6.js';
import { NdpOptionType, NdpRepr } from '../../../src/core/wire/ndp.js';
import { printFrame } from '../../../src/core/wire/print.js';
import { IPPROTO_TCP, TcpRepr, TcpView } from '../../../src/core/wire/tcp.js';
import { TcpOptionKind } from '../../../src/core/wire/tcp-options.js';
import { IPPROTO_UDP, UdpRepr, UdpView } from '../../../src/core/wire/udp.js';
import { extraFrames, type SampleFrame, sampleFrames } from './frames.js';

/** Undefined when `name` runs; otherwise why not. */
function missingTool(name: string, versionFlag: string): string | undefined {
  const r = spawnSync(name, [versionFlag], { encoding: 'utf8', timeout: 20000 });
  if (r.error) return `${name} not installed: ${r.error.message}`;
  if (r.status !== 0) return `${name} ${versionFlag} exited with ${r.status}: ${r.stderr.trim()}`;
  return undefined;
}

const TSHARK_MISSING = missingTool('tshark', '--version');
const TCPDUMP_MISSING = missingTool('tcpdump', '--version');

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 60000 });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// ---- our side: the same fields, decoded by our parsers ---------------------------------------------

type Fields = Map<string, string[]>;

function add(f: Fields, key: string, value: string | number | boolean): void {
  const v = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  const list = f.get(key);
  if (list) list.push(v);
  else f.set(key, [v]);
}

function ok(r: DropReason, what: string): void {
  assert.equal(r, DropReason.Ok, `${what}: ${DropReason[r]}`);
}

function decodeFrame(b: Uint8Array, off: number, len: number, link: 'ethernet' | 'raw'): Fields {
  const f: Fields = new Map();
  if (link === 'raw') {
    if (b[off]! >>> 4 === 4) decodeIpv4(b, off, len, f, false);
    else decodeIpv6(b, off, len, f, false);
    return f;
  }
  const v = new EthernetView();
  const r = new EthernetRepr();
  ok(v.check(b, off, len), 'ethernet');
  ok(r.parse(v), 'ethernet');
  add(f, 'eth.src', formatMac(r.src));
  add(f, 'eth.dst', formatMac(r.dst));
  for (const tag of [r.outerVlan, r.vlan]) {
    if (!tag.present) continue;
    add(f, 'vlan.id', tag.vid);
    add(f, 'vlan.priority', tag.pcp);
  }
  if (r.ethertype === ETHERTYPE_ARP) {
    const av = new ArpView();
    const ar = new ArpRepr();
    ok(av.check(b, v.payloadOffset, v.payloadLength), 'arp');
    ok(ar.parse(av), 'arp');
    add(f, 'arp.opcode', ar.operation);
    add(f, 'arp.src.hw_mac', formatMac(ar.senderHardware));
    add(f, 'arp.src.proto_ipv4', formatIpv4(ar.senderProtocol));
    add(f, 'arp.dst.hw_mac', formatMac(ar.targetHardware));
    add(f, 'arp.dst.proto_ipv4', formatIpv4(ar.targetProtocol));
  } else if (r.ethertype === ETHERTYPE_IPV4) {
    decodeIpv4(b, v.payloadOffset, v.payloadLength, f, false);
  } else if (r.ethertype === ETHERTYPE_IPV6) {
    decodeIpv6(b, v.payloadOffset, v.payloadLength, f, false);
  }
  return f;
}

/** `quoted`: the packet sits inside an ICMP error or a redirected-header option. */
function decodeIpv4(b: Uint8Array, off: number, len: number, f: Fields, quoted: boolean): void {
  const v = new Ipv4View();
  const r = new Ipv4Repr();
  ok(v.check(b, off, len), 'ipv4');
  ok(r.parse(v), 'ipv4');
  add(f, 'ip.src', formatIpv4(r.src));
  add(f, 'ip.dst', formatIpv4(r.dst));
  add(f, 'ip.id', r.identification);
  add(f, 'ip.proto', r.protocol);
  add(f, 'ip.flags.mf', r.moreFragments);
  // tshark shows the field itself: 8-byte units.
  add(f, 'ip.frag_offset', r.fragmentOffset / 8);
  for (let i = 0; i < r.optionsLen; ) {
    const t = r.options[i]!;
    add(f, 'ip.opt.type', t);
    if (t === 0) break;
    i += t === 1 ? 1 : r.options[i + 1]!;
  }
  if (r.fragmentOffset === 0) {
    decodeTransport(r.protocol, b, v.payloadOffset, v.payloadLength, f, quoted, r.moreFragments);
  }
}

function decodeIpv6(b: Uint8Array, off: number, len: number, f: Fields, quoted: boolean): void {
  const v = new Ipv6View();
  const reason = v.check(b, off, len);
  if (reason === DropReason.Ipv6BadPayloadLength && quoted) {
    // An ICMPv6 error quotes as much of the packet as fits: the fixed header's fields are there,
    // the packet is not whole (our view refuses it, rightly), and nothing after it is decoded here.
    add(f, 'ipv6.src', formatIpv6(b, off + 8));
    add(f, 'ipv6.dst', formatIpv6(b, off + 24));
    add(f, 'ipv6.nxt', b[off + 6]!);
    return;
  }
  ok(reason, 'ipv6');
  const r = new Ipv6Repr();
  ok(r.parse(v), 'ipv6');
  add(f, 'ipv6.src', formatIpv6(r.src));
  add(f, 'ipv6.dst', formatIpv6(r.dst));
  add(f, 'ipv6.nxt', r.nextHeader);
  const w = new Ipv6ExtWalker();
  ok(w.walk(v), 'ipv6 extension headers');
  if (w.hasFragment) {
    add(f, 'ipv6.fraghdr.offset', w.fragmentOffset / 8);
    add(f, 'ipv6.fraghdr.more', w.moreFragments);
    add(f, 'ipv6.fraghdr.ident', w.fragmentIdent);
  }
  if (!w.hasFragment || w.fragmentOffset === 0) {
    decodeTransport(w.protocol, b, w.offset, w.length, f, quoted, w.moreFragments);
  }
}

function decodeTransport(
  proto: number,
  b: Uint8Array,
  off: number,
  len: number,
  f: Fields,
  quoted: boolean,
  firstFragment: boolean,
): void {
  switch (proto) {
    case IPPROTO_TCP:
      decodeTcp(b, off, len, f, quoted);
      return;
    case IPPROTO_UDP: {
      add(f, 'udp.srcport', get16(b, off));
      add(f, 'udp.dstport', get16(b, off + 2));
      if (firstFragment) {
        // The first fragment holds the start of a longer datagram: our view (rightly) refuses a
        // length field beyond the bytes, so the field is read as is.
        add(f, 'udp.length', get16(b, off + 4));
        return;
      }
      const v = new UdpView();
      const r = new UdpRepr();
      ok(v.check(b, off, len), 'udp');
      ok(r.parse(v), 'udp');
      add(f, 'udp.length', r.payloadLen + 8);
      return;
    }
    case IPPROTO_ICMP:
      decodeIcmp4(b, off, len, f);
      return;
    case IPPROTO_ICMPV6:
      decodeIcmp6(b, off, len, f);
      return;
  }
}

function decodeTcp(b: Uint8Array, off: number, len: number, f: Fields, quoted: boolean): void {
  const v = new TcpView();
  const r = new TcpRepr();
  ok(v.check(b, off, len), 'tcp');
  ok(r.parse(v), 'tcp');
  add(f, 'tcp.srcport', r.srcPort);
  add(f, 'tcp.dstport', r.dstPort);
  // tshark leaves the raw sequence number and the length out of a segment quoted in an ICMP error.
  if (!quoted) add(f, 'tcp.seq_raw', r.seq);
  add(f, 'tcp.ack_raw', r.ack);
  add(f, 'tcp.flags', r.flags);
  if (!quoted) add(f, 'tcp.len', r.payloadLen);
  const o = r.options;
  for (let i = 0; i < o.count; i++) {
    add(f, 'tcp.option_kind', o.kindAt(i));
    if (o.kindAt(i) === TcpOptionKind.EXPERIMENTAL && o.lengthAt(i) >= 4) {
      add(f, 'tcp.options.experimental.exid', get16(o.bytes, o.offsetAt(i) + 2));
    }
  }
  // tshark lists every zero byte after an EOL as another EOL.
  for (let i = 0; i < o.paddingLength; i++) add(f, 'tcp.option_kind', 0);
  if (o.mss >= 0) add(f, 'tcp.options.mss_val', o.mss);
  if (o.wscale >= 0) add(f, 'tcp.options.wscale.shift', o.wscale);
  for (let i = 0; i < o.sackCount; i++) {
    add(f, 'tcp.options.sack_le', o.sackLeft(i));
    add(f, 'tcp.options.sack_re', o.sackRight(i));
  }
  if (o.hasTimestamps) {
    add(f, 'tcp.options.timestamp.tsval', o.tsVal);
    add(f, 'tcp.options.timestamp.tsecr', o.tsEcr);
  }
  if (o.hasMd5) add(f, 'tcp.options.md5.digest', hex(o.md5));
  if (o.hasFastOpen && o.fastOpenCookieLength > 0) {
    add(f, 'tcp.options.tfo.cookie', hex(o.fastOpenCookie, 0, o.fastOpenCookieLength));
  }
}

function decodeIcmp4(b: Uint8Array, off: number, len: number, f: Fields): void {
  const v = new Icmpv4View();
  const r = new Icmpv4Repr();
  ok(v.check(b, off, len), 'icmp');
  ok(r.parse(v), 'icmp');
  add(f, 'icmp.type', r.type);
  add(f, 'icmp.code', r.code);
  if (r.type === Icmpv4Type.EchoRequest || r.type === Icmpv4Type.EchoReply) {
    add(f, 'icmp.ident', r.identifier);
    add(f, 'icmp.seq', r.sequence);
  }
  if (r.type === Icmpv4Type.DestUnreachable && r.code === Icmpv4Unreachable.FragmentationNeeded) {
    add(f, 'icmp.mtu', r.nextHopMtu);
  }
  if (isIcmpv4Error(r.type)) decodeIpv4(b, v.quotedOffset, v.quotedLength, f, true);
}

function decodeIcmp6(b: Uint8Array, off: number, len: number, f: Fields): void {
  const v = new Icmpv6View();
  ok(v.check(b, off, len), 'icmpv6');
  add(f, 'icmpv6.type', v.type);
  add(f, 'icmpv6.code', v.code);
  if (v.type >= Icmpv6Type.RouterSolicit && v.type <= Icmpv6Type.Redirect) {
    decodeNdp(v, f);
    return;
  }
  const r = new Icmpv6Repr();
  ok(r.parse(v), 'icmpv6');
  if (r.type === Icmpv6Type.EchoRequest || r.type === Icmpv6Type.EchoReply) {
    add(f, 'icmpv6.echo.identifier', r.identifier);
    add(f, 'icmpv6.echo.sequence_number', r.sequence);
  }
  if (r.type === Icmpv6Type.PacketTooBig) add(f, 'icmpv6.mtu', r.mtu);
  if (isIcmpv6Error(r.type)) decodeIpv6(b, v.quotedOffset, v.quotedLength, f, true);
}

function decodeNdp(v: Icmpv6View, f: Fields): void {
  const r = new NdpRepr();
  ok(r.parse(v), 'ndp');
  switch (r.type) {
    case Icmpv6Type.RouterAdvert:
      add(f, 'icmpv6.nd.ra.cur_hop_limit', r.curHopLimit);
      add(f, 'icmpv6.nd.ra.router_lifetime', r.routerLifetime);
      break;
    case Icmpv6Type.NeighborSolicit:
      add(f, 'icmpv6.nd.ns.target_address', formatIpv6(r.target));
      break;
    case Icmpv6Type.NeighborAdvert:
      add(f, 'icmpv6.nd.na.flag.r', r.router);
      add(f, 'icmpv6.nd.na.flag.s', r.solicited);
      add(f, 'icmpv6.nd.na.flag.o', r.override);
      add(f, 'icmpv6.nd.na.target_address', formatIpv6(r.target));
      break;
    case Icmpv6Type.Redirect:
      add(f, 'icmpv6.nd.rd.target_address', formatIpv6(r.target));
      add(f, 'icmpv6.rd.na.destination_address', formatIpv6(r.destination));
      break;
  }
  for (let i = 0; i < r.optionCount; i++) {
    const o = r.options[i]!;
    add(f, 'icmpv6.opt.type', o.type);
    switch (o.type) {
      case NdpOptionType.SourceLinkAddr:
      case NdpOptionType.TargetLinkAddr:
        add(f, 'icmpv6.opt.linkaddr', formatMac(o.linkAddr));
        break;
      case NdpOptionType.PrefixInfo:
        add(f, 'icmpv6.opt.prefix.length', o.prefixLength);
        add(f, 'icmpv6.opt.prefix', formatIpv6(o.prefix));
        break;
      case NdpOptionType.Mtu:
        add(f, 'icmpv6.opt.mtu', o.mtu);
        break;
      case NdpOptionType.RedirectedHeader:
        decodeIpv6(o.dataBuf, o.dataOff, o.dataLen, f, true);
        break;
    }
  }
}

/** The fields compared; for each, both sides' full list of occurrences must be equal. */
const FIELDS = [
  'eth.src',
  'eth.dst',
  'vlan.id',
  'vlan.priority',
  'arp.opcode',
  'arp.src.hw_mac',
  'arp.src.proto_ipv4',
  'arp.dst.hw_mac',
  'arp.dst.proto_ipv4',
  'ip.src',
  'ip.dst',
  'ip.id',
  'ip.proto',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.opt.type',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.nxt',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'ipv6.fraghdr.ident',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.len',
  'tcp.option_kind',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.sack_le',
  'tcp.options.sack_re',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'tcp.options.md5.digest',
  'tcp.options.tfo.cookie',
  'tcp.options.experimental.exid',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'icmp.type',
  'icmp.code',
  'icmp.ident',
  'icmp.seq',
  'icmp.mtu',
  'icmpv6.type',
  'icmpv6.code',
  'icmpv6.echo.identifier',
  'icmpv6.echo.sequence_number',
  'icmpv6.mtu',
  'icmpv6.nd.ns.target_address',
  'icmpv6.nd.na.target_address',
  'icmpv6.nd.na.flag.r',
  'icmpv6.nd.na.flag.s',
  'icmpv6.nd.na.flag.o',
  'icmpv6.nd.ra.cur_hop_limit',
  'icmpv6.nd.ra.router_lifetime',
  'icmpv6.nd.rd.target_address',
  'icmpv6.rd.na.destination_address',
  'icmpv6.opt.type',
  'icmpv6.opt.linkaddr',
  'icmpv6.opt.prefix',
  'icmpv6.opt.prefix.length',
  'icmpv6.opt.mtu',
];

/** Numbers compare by value (tshark prints some in hex), booleans as 0/1, text case-insensitively. */
function norm(v: string): string {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(v)) return BigInt(v).toString();
  if (v === 'True' || v === 'true') return '1';
  if (v === 'False' || v === 'false') return '0';
  return v.toLowerCase();
}

type TsharkPacket = { _source: { layers: Record<string, string[]> } };

// ---- the captures -------------------------------------------------------------------------------

interface Capture {
  file: string;
  link: 'ethernet' | 'raw';
  frames: SampleFrame[];
}

/** The bytes of `fr` as written to a capture of this link type. */
function packet(fr: SampleFrame, link: 'ethernet' | 'raw'): [number, number] {
  return link === 'ethernet' ? [0, fr.eth.length] : [fr.ipOff, fr.eth.length - fr.ipOff];
}

describe('cross-check with tshark and tcpdump', () => {
  let dir = '';
  const caps: Capture[] = [];
  let extra: Capture | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wirestack-print-'));
    const frames = sampleFrames();
    const eth = new ByteCollector();
    const w = new PcapWriter(eth.sink);
    for (const [i, fr] of frames.entries()) w.write(fr.eth, 0, fr.eth.length, 1700000000 + i, 123456789);
    const raw = new ByteCollector();
    const rawFrames = frames.filter((fr) => fr.ipOff >= 0);
    const wn = new PcapngWriter(raw.sink, { linkType: LINKTYPE_RAW });
    rawFrames.forEach((fr, i) => {
      const [o, n] = packet(fr, 'raw');
      wn.write(fr.eth, o, n, 1700000000 + i, 5);
    });
    const more = new ByteCollector();
    const xs = extraFrames();
    const wx = new PcapWriter(more.sink);
    for (const [i, fr] of xs.entries()) wx.write(fr.eth, 0, fr.eth.length, 1700000000 + i, 0);
    caps.push({ file: join(dir, 'samples.pcap'), link: 'ethernet', frames });
    caps.push({ file: join(dir, 'samples-raw.pcapng'), link: 'raw', frames: rawFrames });
    extra = { file: join(dir, 'extra.pcap'), link: 'ethernet', frames: xs };
    writeFileSync(caps[0]!.file, eth.bytes());
    writeFileSync(caps[1]!.file, raw.bytes());
    writeFileSync(extra.file, more.bytes());
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('tshark: no malformed packet, no bad checksum, no expert error', (t) => {
    if (TSHARK_MISSING) {
      t.skip(TSHARK_MISSING);
      return;
    }
    for (const cap of caps) {
      const out = run('tshark', [
        '-r',
        cap.file,
        '-o',
        'tcp.check_checksum:TRUE',
        '-o',
        'udp.check_checksum:TRUE',
        '-o',
        'ip.check_checksum:TRUE',
        '-T',
        'json',
        '-e',
        '_ws.expert.severity',
        '-e',
        '_ws.expert.group',
        '-e',
        '_ws.expert.message',
        '-e',
        '_ws.malformed',
      ]);
      const pkts = JSON.parse(out) as TsharkPacket[];
      assert.equal(pkts.length, cap.frames.length, cap.file);
      const problems: string[] = [];
      pkts.forEach((p, i) => {
        const l = p._source.layers;
        const name = cap.frames[i]!.name;
        if (l['_ws.malformed']) problems.push(`${name}: malformed`);
        const sev = l['_ws.expert.severity'] ?? [];
        const group = l['_ws.expert.group'] ?? [];
        const msg = l['_ws.expert.message'] ?? [];
        sev.forEach((s, j) => {
          // PI_ERROR is 0x00800000; PI_CHECKSUM 0x01000000 and PI_MALFORMED 0x07000000 are groups.
          const g = Number(group[j] ?? 0);
          if (Number(s) >= 0x00800000 || g === 0x01000000 || g === 0x07000000) {
            problems.push(`${name}: ${msg[j]} (severity ${s}, group ${group[j]})`);
          }
        });
        for (const m of msg) if (/checksum/i.test(m)) problems.push(`${name}: ${m}`);
      });
      assert.deepEqual(problems, [], `${cap.file}:\n${problems.join('\n')}`);
    }
  });

  test('tshark decodes the same fields as our parsers, frame by frame', (t) => {
    if (TSHARK_MISSING) {
      t.skip(TSHARK_MISSING);
      return;
    }
    let compared = 0;
    for (const cap of caps) {
      const args = ['-r', cap.file, '-o', 'tcp.relative_sequence_numbers:FALSE'];
      // Fragments field by field, as our parsers see them (reassembly is checked by the run above,
      // where tshark verifies the reassembled datagrams' checksums).
      args.push('-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'json');
      for (const fld of FIELDS) args.push('-e', fld);
      const pkts = JSON.parse(run('tshark', args)) as TsharkPacket[];
      assert.equal(pkts.length, cap.frames.length);
      const diffs: string[] = [];
      pkts.forEach((p, i) => {
        const fr = cap.frames[i]!;
        const [o, n] = packet(fr, cap.link);
        const ours = decodeFrame(fr.eth, o, n, cap.link);
        for (const fld of FIELDS) {
          const a = (ours.get(fld) ?? []).map(norm);
          const b = (p._source.layers[fld] ?? []).map(norm);
          if (a.join(',') !== b.join(',')) diffs.push(`${fr.name} ${fld}: ours [${a}] tshark [${b}]`);
          else compared += a.length;
        }
      });
      assert.deepEqual(diffs, [], `${cap.file}:\n${diffs.join('\n')}`);
    }
    t.diagnostic(`${compared} field values equal`);
    assert.ok(compared > 500);
  });

  /** tcpdump's line for each record (timestamp cut off). */
  function tcpdumpLines(file: string, link: boolean): string[] {
    const out = run('tcpdump', ['-n', '-S', ...(link ? ['-e'] : []), '-r', file]);
    return out
      .split('\n')
      .filter((l) => /^\d\d:\d\d:\d\d\.\d{6} /.test(l))
      .map((l) => l.slice(16));
  }

  /** Our line, less the deviations print.ts documents. */
  function oursComparable(s: string, link: boolean): string {
    let x = s.replace(/\(options \([^()]*\)\) /, '').replace(/ \(frag \d+:\d+@\d+\+?\)/, '');
    x = x.replace(/ \[\|drop: \w+\]$/, '').replace(/(unknown unreach code \(\d+\)), length \d+$/, '$1');
    return link ? x : x.replace(/^(vlan \d+, p \d+(, DEI)?, )+/, '');
  }

  function tcpdumpComparable(s: string): string {
    return s
      .replace("md5 shared secret not supplied with -M, can't check - ", 'md5 ')
      .replace('tfo  cookie', 'tfo cookie')
      .replace(/: $/, '');
  }

  /** Frames whose payload tcpdump decodes further than we do (see print.ts). */
  const TCPDUMP_DECODES_MORE = new Set(['ipv4-gre', 'ieee802.3']);

  test('tcpdump -n -S (and -e) prints the lines printFrame prints', (t) => {
    if (TCPDUMP_MISSING) {
      t.skip(TCPDUMP_MISSING);
      return;
    }
    let compared = 0;
    const diffs: string[] = [];
    for (const cap of [...caps, extra!]) {
      for (const link of [false, true]) {
        const theirs = tcpdumpLines(cap.file, link);
        assert.equal(theirs.length, cap.frames.length, `${cap.file} ${link ? '-e' : ''}`);
        cap.frames.forEach((fr, i) => {
          if (TCPDUMP_DECODES_MORE.has(fr.name)) return;
          const [o, n] = packet(fr, cap.link);
          const ours = oursComparable(printFrame(fr.eth, o, n, cap.link, { link }), link);
          const want = tcpdumpComparable(theirs[i]!);
          if (ours !== want)
            diffs.push(`${fr.name}${link ? ' -e' : ''}:\n  ours    ${ours}\n  tcpdump ${want}`);
          else compared++;
        });
      }
    }
    assert.deepEqual(diffs, [], diffs.join('\n'));
    t.diagnostic(`${compared} lines equal`);
  });
});

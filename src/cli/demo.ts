/**
 * `wirestack demo`: shows, on the embedded default (no root, no network), what the project does so
 * far: it builds a TCP conversation over IPv4 and IPv6 with the wire reprs, checksums it, captures it
 * as pcapng, reads the capture back and prints it tcpdump-style; parses packetdrill scripts; and
 * prints the linux profile's key settings. Everything it prints is computed, not canned.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ByteCollector, LINKTYPE_RAW } from '../core/pcap/common.js';
import { PcapngWriter } from '../core/pcap/pcapng.js';
import { readCapture } from '../core/pcap/reader.js';
import { KeyedIsnGenerator } from '../core/rand/isn.js';
import { Sysctls } from '../core/stack/sysctl.js';
import { instant } from '../core/time/time.js';
import { parseIpv4, parseIpv6 } from '../core/wire/address.js';
import { checksum, checksumUsesSimd } from '../core/wire/checksum.js';
import { fillIpv4Checksum, IPV4_HEADER_LEN, Ipv4Repr, verifyIpv4Checksum } from '../core/wire/ipv4.js';
import { IPV6_HEADER_LEN, Ipv6Repr } from '../core/wire/ipv6.js';
import { printFrame } from '../core/wire/print.js';
import { checksumAddresses4, checksumAddresses6 } from '../core/wire/pseudo.js';
import { fillTcpChecksum, IPPROTO_TCP, TcpFlag, TcpRepr, verifyTcpChecksum } from '../core/wire/tcp.js';
import { parseScript } from '../drill/parser/index.js';
import { variantConfig } from '../drill/variants.js';

interface Segment {
  fromClient: boolean;
  flags: number;
  seq: number;
  ack: number;
  payload: number;
  syn?: boolean;
}

/** A client/server exchange: handshake with options, a request, a response, and both FINs. */
function conversation(clientIsn: number, serverIsn: number): Segment[] {
  const c = clientIsn;
  const s = serverIsn;
  const A = TcpFlag.ACK;
  return [
    { fromClient: true, flags: TcpFlag.SYN, seq: c, ack: 0, payload: 0, syn: true },
    { fromClient: false, flags: TcpFlag.SYN | A, seq: s, ack: c + 1, payload: 0, syn: true },
    { fromClient: true, flags: A, seq: c + 1, ack: s + 1, payload: 0 },
    { fromClient: true, flags: TcpFlag.PSH | A, seq: c + 1, ack: s + 1, payload: 100 },
    { fromClient: false, flags: TcpFlag.PSH | A, seq: s + 1, ack: c + 101, payload: 1000 },
    { fromClient: true, flags: TcpFlag.FIN | A, seq: c + 101, ack: s + 1001, payload: 0 },
    { fromClient: false, flags: TcpFlag.FIN | A, seq: s + 1001, ack: c + 102, payload: 0 },
    { fromClient: true, flags: A, seq: c + 102, ack: s + 1002, payload: 0 },
  ].map((x) => ({ ...x, seq: x.seq >>> 0, ack: x.ack >>> 0 }));
}

function tcpRepr(seg: Segment, clientPort: number, serverPort: number): TcpRepr {
  const t = new TcpRepr();
  t.srcPort = seg.fromClient ? clientPort : serverPort;
  t.dstPort = seg.fromClient ? serverPort : clientPort;
  t.seq = seg.seq;
  t.ack = seg.ack;
  t.flags = seg.flags;
  t.window = seg.syn ? 65535 : 502;
  t.payloadLen = seg.payload;
  if (seg.syn) {
    // The linux profile's SYN layout with timestamps: mss, sackOK, TS, nop, wscale.
    t.options.addMss(1460);
    t.options.addSackPermitted();
    t.options.addTimestamps(1000 + (seg.seq % 1000), seg.fromClient ? 0 : 1000 + ((seg.ack - 1) % 1000));
    t.options.addNop();
    t.options.addWindowScale(8);
  }
  return t;
}

/** One raw-IP frame (IPv4 or IPv6 + TCP + zero payload) with valid checksums. */
function buildFrame(
  v6: boolean,
  seg: Segment,
  client: Uint8Array | number,
  server: Uint8Array | number,
): Uint8Array {
  const tcp = tcpRepr(seg, 41000, 8080);
  const tcpLen = tcp.headerLen() + tcp.payloadLen;
  if (!v6) {
    const ip = new Ipv4Repr();
    ip.src = (seg.fromClient ? client : server) as number;
    ip.dst = (seg.fromClient ? server : client) as number;
    ip.protocol = IPPROTO_TCP;
    ip.dontFragment = true;
    ip.payloadLen = tcpLen;
    const frame = new Uint8Array(IPV4_HEADER_LEN + tcpLen);
    const hl = ip.emit(frame, 0);
    fillIpv4Checksum(frame, 0, hl);
    tcp.emit(frame, hl);
    fillTcpChecksum(frame, hl, tcpLen, checksumAddresses4(ip.src, ip.dst));
    return frame;
  }
  const ip = new Ipv6Repr();
  ip.src.set((seg.fromClient ? client : server) as Uint8Array);
  ip.dst.set((seg.fromClient ? server : client) as Uint8Array);
  ip.nextHeader = IPPROTO_TCP;
  ip.hopLimit = 64;
  ip.payloadLen = tcpLen;
  const frame = new Uint8Array(IPV6_HEADER_LEN + tcpLen);
  const hl = ip.emit(frame, 0);
  tcp.emit(frame, hl);
  fillTcpChecksum(frame, hl, tcpLen, checksumAddresses6(frame, 0));
  return frame;
}

function sharedDir(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const up of ['../../../../shared', '../../../shared']) {
    const p = join(here, up);
    if (existsSync(join(p, 'packetdrill'))) return p;
  }
  return undefined;
}

export function runDemo(out: (line: string) => void, pcapPath?: string): number {
  out('wirestack demo — what the stack can do so far (embedded, no root, no network)\n');

  // 1. ISNs from the RFC 6528 generator, keyed with a fixed demo secret.
  const isnGen = new KeyedIsnGenerator(Uint8Array.from({ length: 16 }, (_, i) => i * 17));
  const client4 = parseIpv4('192.168.0.1');
  const server4 = parseIpv4('192.0.2.1');
  const client6 = new Uint8Array(16);
  const server6 = new Uint8Array(16);
  parseIpv6('fd3d:a0b:17d6::1', client6);
  parseIpv6('fd3d:fa7b:d17d::1', server6);
  const a4 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const cIsn = isnGen.isn(a4(client4), 41000, a4(server4), 8080, instant(0));
  const sIsn = isnGen.isn(a4(server4), 8080, a4(client4), 41000, instant(0));
  out(`1. RFC 6528 ISNs (SipHash-2-4 keyed): client ${cIsn}, server ${sIsn}`);

  // 2. Build, checksum, capture, read back and print an IPv4 and an IPv6 conversation.
  const collector = new ByteCollector();
  const writer = new PcapngWriter(collector.sink, { linkType: LINKTYPE_RAW, ifName: 'demo0' });
  let frames = 0;
  let bad = 0;
  for (const v6 of [false, true]) {
    conversation(cIsn, sIsn).forEach((seg, i) => {
      const f = v6 ? buildFrame(true, seg, client6, server6) : buildFrame(false, seg, client4, server4);
      const hl = v6 ? IPV6_HEADER_LEN : IPV4_HEADER_LEN;
      const addrs = v6
        ? checksumAddresses6(f, 0)
        : checksumAddresses4(seg.fromClient ? client4 : server4, seg.fromClient ? server4 : client4);
      if (!verifyTcpChecksum(f, hl, f.length - hl, addrs) || (!v6 && !verifyIpv4Checksum(f, 0, hl))) bad++;
      writer.write(f, 0, f.length, 1_700_000_000 + (v6 ? 1 : 0), i * 1_000_000 + 123);
      frames++;
    });
  }
  const capture = collector.bytes();
  if (pcapPath) writeFileSync(pcapPath, capture);
  const back = readCapture(capture);
  out(
    `2. Built ${frames} TCP frames (IPv4 + IPv6) with the wire reprs; checksums verified: ${frames - bad}/${frames}; ` +
      `pcapng written${pcapPath ? ` to ${pcapPath}` : ' in memory'} (${capture.length} bytes) and read back: ${back.records.length} records`,
  );
  for (const r of back.records) {
    out(`   ${printFrame(r.buf, r.off, r.len, 'raw')}`);
  }

  // 3. Checksum speed on a 64 KiB TSO-sized buffer.
  const big = Uint8Array.from({ length: 65536 }, (_, i) => (i * 131) & 255);
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink ^= checksum(big, 0, big.length);
  const ns = Number(process.hrtime.bigint() - t0) / 2000;
  out(
    `3. Internet checksum of 64 KiB: ${(65536 / ns).toFixed(1)} GB/s (${checksumUsesSimd() ? 'wasm SIMD' : 'JavaScript'} path; result 0x${sink.toString(16)})`,
  );

  // 4. The packetdrill parser over the reference scripts and the public corpus, when present.
  const shared = sharedDir();
  if (!shared) {
    out('4. packetdrill scripts: ../shared/packetdrill not found next to the checkout; skipped');
  } else {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.pkt')) files.push(join(d, e.name));
      }
    };
    walk(join(shared, 'packetdrill'));
    const defines = variantConfig('ipv4').defines;
    let ok = 0;
    let events = 0;
    const failures: string[] = [];
    const p0 = process.hrtime.bigint();
    for (const f of files) {
      // As the google runner passes them; PSP scripts also need an MSS from their own runner.
      const r = parseScript(readFileSync(f, 'utf8'), { file: f, defines: { ...defines, MSS: '1460' } });
      if (r.ok) {
        ok++;
        events += r.script.events.length;
      } else failures.push(r.error.message);
    }
    const ms = Number(process.hrtime.bigint() - p0) / 1e6;
    out(
      `4. packetdrill parser: ${ok}/${files.length} scripts parsed (${events} events) in ${ms.toFixed(0)} ms`,
    );
    for (const m of failures.slice(0, 5)) out(`   ${m}`);
  }

  // 5. The linux profile.
  const s = new Sysctls();
  const keys = [
    'net.ipv4.tcp_rmem',
    'net.ipv4.tcp_wmem',
    'net.ipv4.tcp_rto_min_us',
    'net.ipv4.tcp_congestion_control',
    'net.ipv4.tcp_shrink_window',
    'net.ipv4.tcp_keepalive_time',
  ];
  out(`5. linux profile: ${s.names().length} sysctls per stack, e.g.`);
  for (const k of keys) out(`   ${k} = ${s.format(k).replaceAll('\t', ' ')}`);
  out('\nNext: the TCP engine, the socket layer and `wirestack drill` (see the open issues).');
  return bad === 0 && back.error === 0 && back.records.length === frames ? 0 : 1;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('show what the stack can do so far: build, checksum, capture and print a TCP conversation')
    .option('--pcap <file>', 'also write the demo capture (pcapng) to this file')
    .action(function (this: Command, opts: { pcap?: string }) {
      const code = runDemo((l) => process.stdout.write(`${l}\n`), opts.pcap);
      (this as Command & { exitCode?: number }).exitCode = code;
    });
}

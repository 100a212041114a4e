/**
 * `wirestack pcap print FILE`: one tcpdump-style line per record of a pcap or pcapng file — the
 * timestamp, then `printFrame` for Ethernet and raw-IP link types.
 *
 * Exit codes: 0 when the whole file was read; 1 when the capture turned out malformed part way (the
 * records before the bad part are printed, then `wirestack: FILE: <reason> at byte <offset>` on
 * stderr); 2 for a file that cannot be read and for bad usage.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_RAW,
  rd16,
  rd32,
} from '../core/pcap/common.js';
import { BLOCK_IDB, BLOCK_SHB, BYTE_ORDER_MAGIC } from '../core/pcap/pcapng.js';
import { openCapture } from '../core/pcap/reader.js';
import { DropReason, dropReasonName } from '../core/wire/drop.js';
import { type PrintLinkType, printFrame } from '../core/wire/print.js';

export type TimeMode = 'abs' | 'rel' | 'none';

export interface PcapPrintOptions {
  link?: boolean;
  /** Stop after this many records. */
  count?: number;
  time?: TimeMode;
}

export interface PcapPrintResult {
  lines: string[];
  /** `DropReason.Ok` when the whole capture was read (or `count` records were printed). */
  error: DropReason;
  errorOffset: number;
}

function linkKind(linkType: number): PrintLinkType | undefined {
  if (linkType === LINKTYPE_ETHERNET) return 'ethernet';
  if (linkType === LINKTYPE_RAW || linkType === LINKTYPE_IPV4 || linkType === LINKTYPE_IPV6) return 'raw';
  return undefined;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * `HH:MM:SS.fraction` of `sec`/`nsec`: the time of day (UTC) for absolute stamps, the elapsed time
 * (hours not wrapped) for relative ones; 9 fraction digits with `nano`, else 6 (truncated).
 */
export function formatTimestamp(sec: number, nsec: number, nano: boolean, wrapDay: boolean): string {
  // Normalise to nsec in [0, 1e9), then take the magnitude of a negative (relative) time.
  if (nsec < 0) {
    sec -= 1;
    nsec += 1e9;
  }
  let sign = '';
  if (sec < 0) {
    sign = '-';
    sec = nsec > 0 ? -sec - 1 : -sec;
    nsec = nsec > 0 ? 1e9 - nsec : 0;
  }
  const s = wrapDay ? sec % 86400 : sec;
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const frac = nano ? pad(nsec, 9) : pad(Math.floor(nsec / 1000), 6);
  return `${sign}${pad(h, 2)}:${pad(m, 2)}:${pad(s % 60, 2)}.${frac}`;
}

/**
 * Timestamp resolution of a pcapng file's interfaces, per section: `[sectionStart, nano[]]` with
 * `nano[i]` true when interface i stamps finer than microseconds. (The reader converts stamps but
 * does not expose the resolution, and the printed precision follows the file.) Stops quietly at
 * anything malformed: the reader reports that.
 */
function pcapngNanoInterfaces(b: Uint8Array): Array<[number, boolean[]]> {
  const sections: Array<[number, boolean[]]> = [];
  let le = true;
  let p = 0;
  while (b.length - p >= 12) {
    if (rd32(b, p, true) === BLOCK_SHB) {
      if (rd32(b, p + 8, true) === BYTE_ORDER_MAGIC) le = true;
      else if (rd32(b, p + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else break;
      sections.push([p, []]);
    }
    const type = rd32(b, p, le);
    const total = rd32(b, p + 4, le);
    if (total < 12 || total % 4 !== 0 || total > b.length - p || sections.length === 0) break;
    if (type === BLOCK_IDB && total >= 20) {
      let tsresol = 6;
      const end = p + total - 4;
      for (let o = p + 16; o + 4 <= end; ) {
        const code = rd16(b, o, le);
        const len = rd16(b, o + 2, le);
        if (code === 0 || o + 4 + len > end) break;
        if (code === 9 && len >= 1) tsresol = b[o + 4]!;
        o += 4 + ((len + 3) & ~3);
      }
      const v = tsresol & 0x7f;
      sections[sections.length - 1]![1].push(tsresol & 0x80 ? v >= 20 : v > 6);
    }
    p += total;
  }
  return sections;
}

/** Print the records of a capture held in memory (the CLI's work, without the I/O). */
export function printCapture(bytes: Uint8Array, opts: PcapPrintOptions = {}): PcapPrintResult {
  const rd = openCapture(bytes);
  const time = opts.time ?? 'abs';
  const count = opts.count ?? Number.POSITIVE_INFINITY;
  const sections = rd.format === 'pcapng' ? pcapngNanoInterfaces(bytes) : [];
  const lines: string[] = [];
  let firstSec = 0;
  let firstNsec = 0;
  while (lines.length < count && rd.next()) {
    const r = rd.record;
    let nano: boolean;
    if (rd.format === 'pcap') nano = rd.nano;
    else {
      let sec = sections[0];
      for (const s of sections) if (s[0] <= r.off) sec = s;
      nano = sec?.[1][r.iface] ?? false;
    }
    if (lines.length === 0) {
      firstSec = r.tsSec;
      firstNsec = r.tsNsec;
    }
    let ts = '';
    if (time === 'abs') ts = `${formatTimestamp(r.tsSec, r.tsNsec, nano, true)} `;
    else if (time === 'rel')
      ts = `${formatTimestamp(r.tsSec - firstSec, r.tsNsec - firstNsec, nano, false)} `;
    const kind = linkKind(r.linkType);
    const body =
      kind === undefined
        ? `[link type ${r.linkType} not supported, ${r.len} bytes]`
        : printFrame(r.buf, r.off, r.len, kind, { link: opts.link === true, wireLen: r.origLen });
    lines.push(ts + body);
  }
  const stoppedEarly = lines.length >= count;
  return {
    lines,
    error: stoppedEarly ? DropReason.Ok : rd.error,
    errorOffset: stoppedEarly ? 0 : rd.errorOffset,
  };
}

function parseCount(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a positive integer');
  return Number(v);
}

interface PrintFlags {
  link?: boolean;
  count?: number;
  time: TimeMode;
}

export function registerPcap(program: Command): void {
  const pcap = program.command('pcap').description('work with pcap and pcapng capture files');
  pcap
    .command('print')
    .description('print one tcpdump-style line per record (tcpdump -n -S; --link adds -e)')
    .argument('<file>', 'a pcap or pcapng file')
    .option('--link', 'show the link-layer header (like tcpdump -e)')
    .option('--count <n>', 'stop after n records', parseCount)
    .addOption(
      new Option('--time <mode>', 'timestamps: abs (UTC time of day), rel (since the first record), none')
        .choices(['abs', 'rel', 'none'])
        .default('abs'),
    )
    .action((file: string, flags: PrintFlags, cmd: Command & { exitCode?: number }) => {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch (e) {
        process.stderr.write(`wirestack: ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
        cmd.exitCode = 2;
        return;
      }
      const res = printCapture(bytes, { link: flags.link, count: flags.count, time: flags.time });
      // Write in chunks: one string per line would be slow on large captures.
      for (let i = 0; i < res.lines.length; i += 4096) {
        process.stdout.write(`${res.lines.slice(i, i + 4096).join('\n')}\n`);
      }
      if (res.error !== DropReason.Ok) {
        process.stderr.write(`wirestack: ${file}: ${dropReasonName(res.error)} at byte ${res.errorOffset}\n`);
        cmd.exitCode = 1;
      }
    });
}

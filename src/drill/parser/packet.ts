/**
 * Packet lines: `< | >`, outer encapsulations, IP annotations, and the TCP / UDP / ICMP parts
 * (LANGUAGE.md §3 `packet_spec`, §5.3, §6). Parse-time checks follow the reference parser:
 * field ranges, `end == start + len`, option padding, `win` on inbound TCP, `<...>` and `[ect01]`
 * outbound only, no ECN annotation on UDP.
 */

import type {
  AccEcnField,
  Direction,
  Encapsulation,
  GreFlagName,
  GreHeader,
  IcmpEchoed,
  IcmpMessage,
  IpInfo,
  MplsEntry,
  Packet,
  PortPair,
  PspEncap,
  SackBlock,
  SeqRange,
  TcpFlags,
  TcpOption,
  TcpSegment,
  TosSpec,
  UdpDatagram,
} from './ast.js';
import { type Cursor, isU8, isU16, isU32, posOf } from './cursor.js';
import type { Token } from './lexer.js';

/** Maximum TCP options length (TCP header at most 60 bytes). */
export const MAX_TCP_OPTIONS_LEN = 40;
const MAX_FO_COOKIE_BYTES = 38;
const MAX_FOEXP_COOKIE_BYTES = 36;
const MAX_MD5_BYTES = 16;
const MAX_ACCECN_FIELD = 0xffffff;

/** Encoded length in bytes of one TCP option. */
export function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'nop':
    case 'eol':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'ts':
      return 10;
    case 'md5':
      return 2 + (o.hex.length >> 1);
    case 'fastOpen':
      return 2 + (o.cookie.length >> 1);
    case 'fastOpenExp':
      return 4 + (o.cookie.length >> 1);
    case 'accEcn':
      return 2 + 3 * o.fields.length;
  }
}

/** Parses a packet line; the lookahead is `<` or `>`. */
export function parsePacket(c: Cursor): Packet {
  const dirTok = c.advance();
  const at = posOf(dirTok);
  const direction: Direction = dirTok.text === '<' ? 'inbound' : 'outbound';
  const encaps: Encapsulation[] = [];
  for (;;) {
    const e = parseEncapsulation(c);
    if (e === undefined) break;
    encaps.push(e);
  }
  const ip = parseOptIpInfo(c);
  let l4: TcpSegment | UdpDatagram | IcmpMessage;
  if (c.isKw('udp')) l4 = parseUdp(c, ip);
  else if (c.isKw('icmp')) l4 = parseIcmp(c);
  else l4 = parseTcp(c, direction);
  if (ip?.tos?.kind === 'ecn' && ip.tos.ecn === 'ect01' && direction !== 'outbound') {
    c.semantic(ip.tos, '[ect01] can only be used with outbound packets');
  }
  return { line: at.line, col: at.col, direction, encaps, ip, l4 };
}

function parseEncapsulation(c: Cursor): Encapsulation | undefined {
  const t = c.tok;
  if (t.kind !== 'keyword') return undefined;
  const at = posOf(t);
  switch (t.text) {
    case 'ipv4':
    case 'ipv6': {
      c.advance();
      const ip = parseOptIpInfo(c);
      const what = t.text === 'ipv4' ? 'an IPv4 address' : 'an IPv6 address';
      const src = c.expect(t.text, what).text;
      c.expectChar('>');
      const dst = c.expect(t.text, what).text;
      c.expectChar(':', `':' after the ${t.text} header`);
      return { line: at.line, col: at.col, kind: t.text, ip, src, dst };
    }
    case 'gre':
    case 'GREv0': {
      c.advance();
      if (c.acceptChar(':')) return { line: at.line, col: at.col, kind: 'gre', header: undefined };
      c.acceptChar(',');
      const header = parseGreHeader(c, "':' or a GRE header ('flags ...')");
      c.expectChar(':', '\':\' after the GRE header');
      return { line: at.line, col: at.col, kind: 'gre', header };
    }
    case 'mpls': {
      c.advance();
      const entries: MplsEntry[] = [];
      while (c.isChar('(')) entries.push(parseMplsEntry(c));
      c.expectChar(':', 'an MPLS entry \'(label ...)\' or \':\'');
      return { line: at.line, col: at.col, kind: 'mpls', entries };
    }
    default:
      return undefined;
  }
}

/** `(` or `[` annotation `)` or `]`, if the lookahead opens one. */
function parseOptIpInfo(c: Cursor): IpInfo | undefined {
  if (!c.isChar('(') && !c.isChar('[')) return undefined;
  const open = c.advance();
  const at = posOf(open);
  let tos: TosSpec | undefined;
  let flowLabel: number | undefined;
  let ttl: number | undefined;
  const t = c.tok;
  if (t.kind === 'keyword' && (t.text === 'flowlabel' || t.text === 'ttl')) {
    if (t.text === 'flowlabel') flowLabel = parseFlowLabel(c);
    else {
      c.advance();
      const v = c.expectInt('a TTL value');
      if (!isU8(v.value)) c.semantic(posOf(v), `ttl ${v.text} out of range for 8 bits`);
      ttl = v.value;
    }
  } else {
    tos = parseTosSpec(c);
    if (c.acceptChar(',')) flowLabel = parseFlowLabel(c);
  }
  if (!c.acceptChar(')') && !c.acceptChar(']')) c.fail('\')\' or \']\' to close the IP annotation');
  return { line: at.line, col: at.col, open: open.text === '(' ? '(' : '[', tos, flowLabel, ttl };
}

function parseTosSpec(c: Cursor): TosSpec {
  const t = c.tok;
  const at = posOf(t);
  if (t.kind === 'keyword') {
    switch (t.text) {
      case 'noecn':
      case 'ect0':
      case 'ect1':
      case 'ect01':
      case 'ce':
        c.advance();
        return { line: at.line, col: at.col, kind: 'ecn', ecn: t.text };
      case 'tos': {
        c.advance();
        const v = c.expect('hex', 'a hex TOS value (e.g. tos 0x10)');
        if (!isU8(v.value)) c.semantic(posOf(v), `tos ${v.text} out of range for 8 bits`);
        return { line: at.line, col: at.col, kind: 'tos', value: v.value };
      }
    }
  }
  return c.fail('an IP annotation (noecn, ect0, ect1, ect01, ce, tos 0x.., flowlabel 0x.. or ttl N)');
}

function parseFlowLabel(c: Cursor): number {
  c.expectKw('flowlabel');
  const v = c.expect('hex', 'a hex flow label (e.g. flowlabel 0x12345)');
  if (!(Number.isInteger(v.value) && v.value >= 0 && v.value <= 0xfffff)) {
    c.semantic(posOf(v), `flowlabel ${v.text} out of range for 20 bits`);
  }
  return v.value;
}

function parseOptPorts(c: Cursor): PortPair | undefined {
  if (!c.is('int')) return undefined;
  const s = c.advance();
  c.expectChar('>', '\'>\' between the source and destination ports');
  const d = c.expectInt('a destination port');
  if (!isU16(s.value)) c.semantic(posOf(s), `source port ${s.text} out of range`);
  if (!isU16(d.value)) c.semantic(posOf(d), `destination port ${d.text} out of range`);
  return { line: s.line, col: s.col, src: s.value, dst: d.value };
}

function parseUdp(c: Cursor, ip: IpInfo | undefined): UdpDatagram {
  const at = posOf(c.advance());
  if (ip?.tos?.kind === 'ecn') c.semantic(ip, 'ECN can only be used with TCP packets');
  const ports = parseOptPorts(c);
  c.expectChar('(', '\'(\' and the UDP payload length');
  const len = c.expectInt('the UDP payload length');
  c.expectChar(')');
  if (!isU16(len.value)) c.semantic(posOf(len), 'UDP payload size out of range');
  return { line: at.line, col: at.col, proto: 'udp', ports, len: len.value };
}

function parseIcmp(c: Cursor): IcmpMessage {
  const at = posOf(c.advance());
  const type = c.expect('word', 'an ICMP type (e.g. unreachable, echo_request, packet_too_big)').text;
  const code = c.is('word') ? c.advance().text : undefined;
  let mtu: number | undefined;
  let id: number | undefined;
  if (c.acceptKw('mtu')) mtu = c.expectInt('an MTU value').value;
  if (c.acceptKw('id')) id = c.expectInt('an ICMP echo id').value;
  let echoed: IcmpEchoed | undefined;
  if (c.isChar('[')) {
    const open = posOf(c.advance());
    const kw = c.tok;
    if (kw.kind === 'keyword' && (kw.text === 'udp' || kw.text === 'raw')) {
      c.advance();
      c.expectChar('(');
      const len = c.expectInt(`the echoed ${kw.text} payload length`);
      c.expectChar(')');
      echoed = { line: open.line, col: open.col, proto: kw.text, len: len.value };
    } else if (c.is('int')) {
      echoed = { line: open.line, col: open.col, proto: 'tcp', seq: parseSeq(c) };
    } else {
      c.fail("the echoed packet: 'start:end(len)', 'udp(N)' or 'raw(N)'");
    }
    c.expectChar(']', '\']\' to close the echoed packet');
  }
  return { line: at.line, col: at.col, proto: 'icmp', type, code, mtu, id, echoed };
}

function parseSeq(c: Cursor): SeqRange {
  const s = c.expectInt("a sequence range 'start:end(len)'");
  c.expectChar(':', '\':\' in the sequence range \'start:end(len)\'');
  const e = c.expectInt("the end of the sequence range 'start:end(len)'");
  c.expectChar('(', '\'(\' and the payload length in \'start:end(len)\'');
  const n = c.expectInt("the payload length in 'start:end(len)'");
  c.expectChar(')', '\')\' after the payload length');
  if (!isU32(s.value)) c.semantic(posOf(s), 'TCP start sequence number out of range');
  if (!isU32(e.value)) c.semantic(posOf(e), 'TCP end sequence number out of range');
  if (!isU16(n.value)) c.semantic(posOf(n), 'TCP payload size out of range');
  if (e.value !== s.value + n.value) {
    c.semantic(
      posOf(s),
      `inconsistent TCP sequence numbers and payload size: ${s.text}:${e.text}(${n.text}) needs end = start + len`,
    );
  }
  return { line: s.line, col: s.col, start: s.value, end: e.value, len: n.value };
}

function parseTcp(c: Cursor, direction: Direction): TcpSegment {
  const at = c.pos();
  let psp: PspEncap | undefined;
  if (c.isKw('encap')) {
    const e = posOf(c.advance());
    c.expectKw('psp', '\'psp\' after \'encap\'');
    c.expectKw('spi', '\'spi\' after \'encap psp\'');
    const spi = c.tok.kind === 'hex' ? c.advance() : c.expectInt('a PSP SPI value');
    if (!isU32(spi.value)) c.semantic(posOf(spi), 'PSP spi out of range');
    psp = { line: e.line, col: e.col, spi: spi.value };
  }
  const ports = parseOptPorts(c);
  const flags = parseFlags(c);
  const seq = parseSeq(c);
  let ack: number | undefined;
  let win: number | undefined;
  let urg: number | undefined;
  if (c.acceptKw('ack')) {
    const v = c.expectInt('an ack number');
    if (!isU32(v.value)) c.semantic(posOf(v), 'TCP ack sequence number out of range');
    ack = v.value;
  }
  if (c.acceptKw('win')) {
    const v = c.expectInt('a window value');
    if (!isU16(v.value)) c.semantic(posOf(v), 'TCP window value out of range');
    win = v.value;
  }
  if (c.acceptKw('urg')) {
    const v = c.expectInt('an urgent pointer value');
    if (!isU16(v.value)) c.semantic(posOf(v), 'urg_ptr value out of range');
    urg = v.value;
  }
  let options: TcpOption[] = [];
  let optionsAny = false;
  if (c.isChar('<')) {
    const open = posOf(c.advance());
    if (c.is('ellipsis')) {
      c.advance();
      c.expectChar('>', '\'>\' after \'<...\'');
      optionsAny = true;
      if (direction !== 'outbound')
        c.semantic(open, '<...> for TCP options can only be used with outbound packets');
    } else {
      options = parseTcpOptions(c);
      const total = options.reduce((n, o) => n + optionLength(o), 0);
      if (total > MAX_TCP_OPTIONS_LEN) {
        c.semantic(open, `TCP option list too long: ${total} bytes (at most ${MAX_TCP_OPTIONS_LEN})`);
      }
      if (total % 4 !== 0) {
        c.semantic(
          open,
          `TCP options are not padded correctly: ${total} bytes is not a multiple of 4 (add nop)`,
        );
      }
    }
  }
  if (win === undefined && direction === 'inbound') {
    c.semantic(seq, "window must be specified for inbound packets (add 'win N')");
  }
  return {
    line: at.line,
    col: at.col,
    proto: 'tcp',
    psp,
    ports,
    flags,
    seq,
    ack,
    win,
    urg,
    options,
    optionsAny,
  };
}

/** `WORD ['.'] | [WORD] FLOAT | '.' | '-'`, glued back into one flag string. */
function parseFlags(c: Cursor): TcpFlags {
  const t = c.tok;
  const at = posOf(t);
  let text: string;
  if (t.kind === 'word') {
    c.advance();
    text = t.text;
    if (c.isChar('.')) text += c.advance().text;
    else if (c.is('float')) text += c.advance().text;
  } else if (t.kind === 'float' || (t.kind === 'char' && (t.text === '.' || t.text === '-'))) {
    c.advance();
    text = t.text;
  } else {
    return c.fail("TCP flags (e.g. S, S., ., P., F., R or - for none), or 'udp' or 'icmp'");
  }
  return decodeFlags(c, at, text);
}

function decodeFlags(c: Cursor, at: { line: number; col: number }, text: string): TcpFlags {
  const f = {
    line: at.line,
    col: at.col,
    text,
    fin: false,
    syn: false,
    rst: false,
    psh: false,
    ack: false,
    urg: false,
    ece: false,
    cwr: false,
    ae: false,
    ace: undefined as number | undefined,
  };
  if (text === '-') return f;
  let ecnLetter = false;
  for (const ch of text) {
    switch (ch) {
      case '.':
        f.ack = true;
        break;
      case 'F':
        f.fin = true;
        break;
      case 'S':
        f.syn = true;
        break;
      case 'R':
        f.rst = true;
        break;
      case 'P':
        f.psh = true;
        break;
      case 'U':
        f.urg = true;
        break;
      case 'E':
        f.ece = true;
        ecnLetter = true;
        break;
      case 'W':
        f.cwr = true;
        ecnLetter = true;
        break;
      case 'A':
        f.ae = true;
        ecnLetter = true;
        break;
      default:
        if (ch >= '0' && ch <= '7') {
          if (f.ace !== undefined) c.semantic(at, `TCP flags '${text}' have more than one ACE digit`);
          f.ace = ch.charCodeAt(0) - 48;
        } else {
          c.semantic(
            at,
            `invalid TCP flag '${ch}' in '${text}' (valid: . F S R P E W A U 0-7, or - for none)`,
          );
        }
    }
  }
  if (f.ace !== undefined) {
    if (ecnLetter) c.semantic(at, `TCP flags '${text}' combine an ACE digit with E, W or A`);
    f.ece = (f.ace & 1) !== 0;
    f.cwr = (f.ace & 2) !== 0;
    f.ae = (f.ace & 4) !== 0;
  }
  return f;
}

const OPTION_NAMES = 'a TCP option (nop, eol, mss, wscale, sackOK, sack, TS, md5, FO, FOEXP or ECN)';

function parseTcpOptions(c: Cursor): TcpOption[] {
  const list: TcpOption[] = [parseTcpOption(c)];
  while (c.acceptChar(',')) list.push(parseTcpOption(c));
  c.expectChar('>', '\',\' or \'>\' in the TCP option list');
  return list;
}

function parseTcpOption(c: Cursor): TcpOption {
  const t = c.tok;
  if (t.kind !== 'keyword') return c.fail(OPTION_NAMES);
  const at = posOf(t);
  switch (t.text) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      c.advance();
      return { line: at.line, col: at.col, kind: t.text };
    case 'mss': {
      c.advance();
      const v = c.expectInt('an MSS value');
      if (!isU16(v.value)) c.semantic(posOf(v), `mss value ${v.text} out of range`);
      return { line: at.line, col: at.col, kind: 'mss', mss: v.value };
    }
    case 'wscale': {
      c.advance();
      if (c.acceptChar('*')) return { line: at.line, col: at.col, kind: 'wscale', shift: undefined };
      const v = c.expectInt('a window scale shift count');
      if (!isU8(v.value)) c.semantic(posOf(v), `window scale shift count ${v.text} out of range`);
      return { line: at.line, col: at.col, kind: 'wscale', shift: v.value };
    }
    case 'sack': {
      c.advance();
      const blocks: SackBlock[] = [];
      do {
        const l = c.expectInt("a SACK block 'left:right'");
        c.expectChar(':', '\':\' in the SACK block');
        const r = c.expectInt('the right edge of the SACK block');
        if (!isU32(l.value)) c.semantic(posOf(l), 'TCP SACK left sequence number out of range');
        if (!isU32(r.value)) c.semantic(posOf(r), 'TCP SACK right sequence number out of range');
        blocks.push({ line: l.line, col: l.col, left: l.value, right: r.value });
      } while (c.is('int'));
      return { line: at.line, col: at.col, kind: 'sack', blocks };
    }
    case 'TS': {
      c.advance();
      c.expectKw('val', '\'val\' after \'TS\'');
      const val = c.expectInt('a TS val value');
      c.expectKw('ecr', '\'ecr\' after the TS val');
      const ecr = c.expectInt('a TS ecr value');
      if (!isU32(val.value)) c.semantic(posOf(val), 'ts val out of range');
      if (!isU32(ecr.value)) c.semantic(posOf(ecr), 'ecr val out of range');
      return { line: at.line, col: at.col, kind: 'ts', val: val.value, ecr: ecr.value };
    }
    case 'md5': {
      c.advance();
      const blob = parseHexBlob(c);
      if (blob === undefined) return c.fail('an MD5 digest in hex');
      const hex = blob.text;
      if (hex.length >> 1 > MAX_MD5_BYTES) c.semantic(posOf(blob), 'TCP MD5 digest longer than 16 bytes');
      if (!isHex(hex)) c.semantic(posOf(blob), 'TCP MD5 digest is not a valid hex string');
      return { line: at.line, col: at.col, kind: 'md5', hex };
    }
    case 'FO':
    case 'FOEXP': {
      c.advance();
      const exp = t.text === 'FOEXP';
      const blob = parseHexBlob(c);
      const cookie = blob?.text ?? '';
      if (blob !== undefined) {
        const max = exp ? MAX_FOEXP_COOKIE_BYTES : MAX_FO_COOKIE_BYTES;
        if (cookie.length % 2 !== 0)
          c.semantic(posOf(blob), 'TCP fast open cookie has an odd number of digits');
        if (cookie.length / 2 > max) {
          c.semantic(
            posOf(blob),
            `TCP fast open cookie of ${cookie.length / 2} bytes exceeds maximum cookie length of ${max} bytes`,
          );
        }
        if (!isHex(cookie))
          c.semantic(posOf(blob), `TCP fast open cookie '${cookie}' is not a valid hex string`);
      }
      return { line: at.line, col: at.col, kind: exp ? 'fastOpenExp' : 'fastOpen', cookie };
    }
    case 'ECN':
      return parseAccEcn(c);
    default:
      return c.fail(OPTION_NAMES);
  }
}

/** `hex_blob := WORD | INTEGER` (the integer as written). */
function parseHexBlob(c: Cursor): Token | undefined {
  if (c.is('word') || c.is('int')) return c.advance();
  return undefined;
}

function isHex(s: string): boolean {
  return /^[0-9a-fA-F]*$/.test(s) && s.length % 2 === 0;
}

function parseAccEcn(c: Cursor): TcpOption {
  const at = posOf(c.advance());
  const first = c.tok;
  if (first.kind !== 'keyword' || (first.text !== 'e0b' && first.text !== 'e1b')) {
    return c.fail('\'e0b\' or \'e1b\' after \'ECN\'');
  }
  const order: 0 | 1 = first.text === 'e0b' ? 0 : 1;
  const names: AccEcnField['name'][] = order === 0 ? ['e0b', 'ceb', 'e1b'] : ['e1b', 'ceb', 'e0b'];
  const fields: AccEcnField[] = [];
  for (const name of names) {
    if (fields.length > 0 && !c.isKw(name)) break;
    const key = c.expectKw(name);
    const v = c.expectInt(`a value for ${name}`);
    if (!(Number.isInteger(v.value) && v.value >= 0 && v.value <= MAX_ACCECN_FIELD)) {
      c.semantic(posOf(v), `AccECN ${name} value ${v.text} out of range for 24 bits`);
    }
    fields.push({ line: key.line, col: key.col, name, value: v.value });
  }
  return { line: at.line, col: at.col, kind: 'accEcn', order, fields };
}

/** `int` or `0x..` (the reference's any_int). */
function anyInt(c: Cursor, what: string): Token {
  if (c.is('int') || c.is('hex')) return c.advance();
  return c.fail(what);
}

const GRE_FLAG_BITS: Record<GreFlagName, number> = {
  none: 0,
  checksum: 0x8000,
  key: 0x2000,
  sequence: 0x1000,
};

/** `flags (\[f, ...\] | N) [,] sum N [,] off N [,] key [=] N [,] seq N` */
export function parseGreHeader(c: Cursor, what: string): GreHeader {
  const at = c.pos();
  if (!c.isKw('flags') && !c.isKw('Flags')) return c.fail(what);
  c.advance();
  let flags = 0;
  let flagNames: GreFlagName[] | undefined;
  if (c.acceptChar('[')) {
    flagNames = [];
    do {
      const t = c.tok;
      let name: GreFlagName;
      if (c.acceptKw('none')) name = 'none';
      else if (
        t.kind === 'keyword' &&
        (t.text === 'checksum' || t.text === 'key' || t.text === 'sequence#')
      ) {
        c.advance();
        c.expectKw('present', `'present' after '${t.text}'`);
        name = t.text === 'sequence#' ? 'sequence' : t.text;
      } else {
        return c.fail("a GRE flag ('none', 'checksum present', 'key present' or 'sequence# present')");
      }
      flagNames.push(name);
      flags |= GRE_FLAG_BITS[name];
    } while (c.acceptChar(','));
    c.expectChar(']', '\',\' or \']\' in the GRE flag list');
  } else {
    const v = anyInt(c, "'[' and GRE flags, or an integer");
    if (!isU16(v.value)) c.semantic(posOf(v), 'GRE flags out of range for 16 bits');
    flags = v.value;
  }
  c.acceptChar(',');
  c.expectKw('sum', '\'sum\' in the GRE header');
  const sum = anyInt(c, 'a GRE checksum value');
  c.acceptChar(',');
  c.expectKw('off', '\'off\' in the GRE header');
  const off = anyInt(c, 'a GRE offset value');
  c.acceptChar(',');
  c.expectKw('key', '\'key\' in the GRE header');
  c.acceptChar('=');
  const key = anyInt(c, 'a GRE key value');
  c.acceptChar(',');
  c.expectKw('seq', '\'seq\' in the GRE header');
  const seq = anyInt(c, 'a GRE sequence number');
  for (const [v, bits] of [
    [sum, 16],
    [off, 16],
    [key, 32],
    [seq, 32],
  ] as const) {
    if (!(bits === 16 ? isU16(v.value) : isU32(v.value)))
      c.semantic(posOf(v), `GRE value ${v.text} out of range for ${bits} bits`);
  }
  return {
    line: at.line,
    col: at.col,
    flags,
    flagNames,
    sum: sum.value,
    off: off.value,
    key: key.value,
    seq: seq.value,
  };
}

/** `(label L, tc T, [[S],] ttl X)` */
export function parseMplsEntry(c: Cursor): MplsEntry {
  const at = posOf(c.expectChar('('));
  c.expectKw('label', '\'label\' in the MPLS entry');
  const label = c.expectInt('an MPLS label');
  c.expectChar(',');
  c.expectKw('tc', '\'tc\' in the MPLS entry');
  const tc = c.expectInt('an MPLS traffic class');
  c.expectChar(',');
  let bottom = false;
  if (c.isChar('[')) {
    c.advance();
    const s = c.expect('word', "'S' (bottom of the MPLS label stack)");
    if (s.text !== 'S') c.semantic(posOf(s), 'expected [S] for MPLS label stack bottom');
    c.expectChar(']');
    c.expectChar(',');
    bottom = true;
  }
  c.expectKw('ttl', '\'ttl\' in the MPLS entry');
  const ttl = c.expectInt('an MPLS TTL');
  c.expectChar(')', '\')\' to close the MPLS entry');
  if (!(Number.isInteger(label.value) && label.value >= 0 && label.value <= 0xfffff)) {
    c.semantic(posOf(label), `MPLS label ${label.text} out of range for 20 bits`);
  }
  if (!(Number.isInteger(tc.value) && tc.value >= 0 && tc.value <= 7)) {
    c.semantic(posOf(tc), `MPLS traffic class ${tc.text} out of range for 3 bits`);
  }
  if (!isU8(ttl.value)) c.semantic(posOf(ttl), `MPLS ttl ${ttl.text} out of range for 8 bits`);
  return { line: at.line, col: at.col, label: label.value, tc: tc.value, bottom, ttl: ttl.value };
}

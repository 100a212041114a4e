/**
 * Prints syntax-tree nodes back in script syntax, for error messages and round trips:
 * `parseScript(formatScript(s))` gives `s` again, positions aside (tested over the corpus).
 * Literals keep their written text (times, integers, strings, flags); defines appear
 * substituted.
 */

import type {
  Encapsulation,
  Event,
  EventTime,
  Expr,
  GreHeader,
  IpInfo,
  MplsEntry,
  Packet,
  Script,
  SyscallSpec,
  TcpOption,
  TcpSegment,
} from './ast.js';

export function formatTime(t: EventTime): string {
  switch (t.kind) {
    case 'absolute':
      return t.start.text;
    case 'relative':
      return `+${t.start.text}`;
    case 'any':
      return '*';
    case 'absoluteRange':
      return `${t.start.text}~${t.end.text}`;
    case 'relativeRange':
      return `+${t.start.text}~+${t.end.text}`;
  }
}

/** One event on one line (a code block or command keeps its own newlines). */
export function formatEvent(ev: Event): string {
  const time = formatTime(ev.time);
  switch (ev.type) {
    case 'packet':
      return `${time} ${formatPacket(ev.packet)}`;
    case 'syscall':
      return ev.syscall.end !== undefined
        ? `${time}...${ev.syscall.end.text} ${formatSyscall(ev.syscall)}`
        : `${time} ${formatSyscall(ev.syscall)}`;
    case 'command':
      return `${time} \`${ev.command.command}\``;
    case 'code':
      return `${time} %{ ${ev.code} }%`;
  }
}

/** The whole script: options, init command, events, cleanup command; one item per line. */
export function formatScript(s: Script): string {
  const lines: string[] = [];
  for (const o of s.options) lines.push(o.written === undefined ? `--${o.name}` : `--${o.name}=${o.written}`);
  if (s.initCommand !== undefined) lines.push(`\`${s.initCommand.command}\``);
  for (const ev of s.events) lines.push(formatEvent(ev));
  if (s.cleanupCommand !== undefined) lines.push(`\`${s.cleanupCommand.command}\``);
  return `${lines.join('\n')}\n`;
}

export function formatPacket(p: Packet): string {
  const parts: string[] = [p.direction === 'inbound' ? '<' : '>'];
  for (const e of p.encaps) parts.push(formatEncap(e));
  if (p.ip !== undefined) parts.push(formatIpInfo(p.ip));
  const l4 = p.l4;
  switch (l4.proto) {
    case 'tcp':
      parts.push(formatTcp(l4));
      break;
    case 'udp':
      parts.push(
        l4.ports === undefined ? `udp (${l4.len})` : `udp ${l4.ports.src}>${l4.ports.dst} (${l4.len})`,
      );
      break;
    case 'icmp': {
      let s = `icmp ${l4.type}`;
      if (l4.code !== undefined) s += ` ${l4.code}`;
      if (l4.mtu !== undefined) s += ` mtu ${l4.mtu}`;
      if (l4.id !== undefined) s += ` id ${l4.id}`;
      const e = l4.echoed;
      if (e !== undefined) {
        s += e.proto === 'tcp' ? ` [${e.seq.start}:${e.seq.end}(${e.seq.len})]` : ` [${e.proto}(${e.len})]`;
      }
      parts.push(s);
      break;
    }
  }
  return parts.join(' ');
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function formatIpInfo(ip: IpInfo): string {
  const items: string[] = [];
  if (ip.tos !== undefined) items.push(ip.tos.kind === 'ecn' ? ip.tos.ecn : `tos ${hex(ip.tos.value)}`);
  if (ip.flowLabel !== undefined) items.push(`flowlabel ${hex(ip.flowLabel)}`);
  if (ip.ttl !== undefined) items.push(`ttl ${ip.ttl}`);
  const body = items.join(', ');
  return ip.open === '[' ? `[${body}]` : `(${body})`;
}

function formatEncap(e: Encapsulation): string {
  switch (e.kind) {
    case 'ipv4':
    case 'ipv6':
      return `${e.kind}${e.ip === undefined ? '' : ` ${formatIpInfo(e.ip)}`} ${e.src} > ${e.dst}:`;
    case 'gre':
      return e.header === undefined ? 'gre:' : `gre ${formatGre(e.header)}:`;
    case 'mpls':
      return e.entries.length === 0 ? 'mpls:' : `mpls ${e.entries.map(formatMpls).join(' ')}:`;
  }
}

function formatGre(h: GreHeader): string {
  const flags =
    h.flagNames === undefined
      ? `${h.flags}`
      : `[${h.flagNames.map((n) => (n === 'none' ? 'none' : n === 'sequence' ? 'sequence# present' : `${n} present`)).join(', ')}]`;
  return `flags ${flags} sum ${h.sum} off ${h.off} key ${h.key} seq ${h.seq}`;
}

function formatMpls(m: MplsEntry): string {
  return `(label ${m.label}, tc ${m.tc}, ${m.bottom ? '[S], ' : ''}ttl ${m.ttl})`;
}

function formatTcp(t: TcpSegment): string {
  let s = '';
  if (t.psp !== undefined) s += `encap psp spi ${t.psp.spi} `;
  if (t.ports !== undefined) s += `${t.ports.src}>${t.ports.dst} `;
  s += `${t.flags.text} ${t.seq.start}:${t.seq.end}(${t.seq.len})`;
  if (t.ack !== undefined) s += ` ack ${t.ack}`;
  if (t.win !== undefined) s += ` win ${t.win}`;
  if (t.urg !== undefined) s += ` urg ${t.urg}`;
  if (t.optionsAny) s += ' <...>';
  else if (t.options.length > 0) s += ` <${t.options.map(formatTcpOption).join(',')}>`;
  return s;
}

export function formatTcpOption(o: TcpOption): string {
  switch (o.kind) {
    case 'nop':
    case 'eol':
    case 'sackOK':
      return o.kind;
    case 'mss':
      return `mss ${o.mss}`;
    case 'wscale':
      return `wscale ${o.shift === undefined ? '*' : o.shift}`;
    case 'sack':
      return `sack ${o.blocks.map((b) => `${b.left}:${b.right}`).join(' ')}`;
    case 'ts':
      return `TS val ${o.val} ecr ${o.ecr}`;
    case 'md5':
      return `md5 ${o.hex}`;
    case 'fastOpen':
    case 'fastOpenExp': {
      const name = o.kind === 'fastOpen' ? 'FO' : 'FOEXP';
      return o.cookie === '' ? name : `${name} ${o.cookie}`;
    }
    case 'accEcn':
      return `ECN ${o.fields.map((f) => `${f.name} ${f.value}`).join(' ')}`;
  }
}

export function formatSyscall(s: SyscallSpec): string {
  let out = `${s.name}(${s.args.map(formatExpr).join(', ')}) = ${formatExpr(s.result)}`;
  if (s.errno !== undefined) out += ` ${s.errno.name} (${s.errno.note})`;
  if (s.note !== undefined) out += ` (${s.note})`;
  return out;
}

function precOf(e: Expr): number {
  if (e.kind === 'binary') return e.op === '|' ? 1 : 2;
  if (e.kind === 'assign') return 0;
  return 3;
}

/** Prints `e`, adding parentheses where its precedence is below `min`. */
function operand(e: Expr, min: number): string {
  const s = formatExpr(e);
  return precOf(e) < min ? `(${s})` : s;
}

export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'ellipsis':
      return '...';
    case 'int':
      return e.text;
    case 'word':
      return e.name;
    case 'string':
      return `"${e.value}"${e.ellipsis ? '...' : ''}`;
    case 'binary': {
      const p = precOf(e);
      return `${operand(e.lhs, p)}${e.op}${operand(e.rhs, p + 1)}`;
    }
    case 'unary': {
      const inner = operand(e.operand, 3);
      // A space keeps "-" from joining a following number ("- 0x10", "- -1").
      return /^[-0-9.]/.test(inner) ? `- ${inner}` : `-${inner}`;
    }
    case 'assign':
      return `${e.name}=${formatExpr(e.value)}`;
    case 'call':
      return `${e.fn}(${formatExpr(e.arg)})`;
    case 'inetAddr':
      return `${e.family === 4 ? 'inet_addr' : 'inet6_addr'}("${e.addr}")`;
    case 'list':
      return `[${e.items.map(formatExpr).join(', ')}]`;
    case 'braceList':
      return `{${e.items.map(formatExpr).join(', ')}}`;
    case 'sockaddr':
      return `{sa_family=${e.family}, sin_port=htons(${e.port}), sin_addr=inet_addr("${e.addr}")}`;
    case 'msghdr': {
      const control = e.control === undefined ? '' : `, msg_control=${formatExpr(e.control)}`;
      return `{msg_name(...)=..., msg_iov(${e.iovLen})=${formatExpr(e.iov)}, msg_flags=${formatExpr(e.flags)}${control}}`;
    }
    case 'iovec':
      return `{..., ${e.len}}`;
    case 'pollfd': {
      const rev = e.revents === undefined ? '' : `, revents=${formatExpr(e.revents)}`;
      return `{fd=${formatExpr(e.fd)}, events=${formatExpr(e.events)}${rev}}`;
    }
    case 'epollEvent':
      return `{events=${formatExpr(e.events)}, ${e.member}=${formatExpr(e.data)}}`;
    case 'linger':
      return `{onoff=${e.onoff}, linger=${e.linger}}`;
    case 'cmsg':
      return `{cmsg_level=${formatExpr(e.level)}, cmsg_type=${formatExpr(e.type)}, cmsg_data=${formatExpr(e.data)}}`;
    case 'scmTimestamping':
      return `{scm_sec=${e.sec}, scm_nsec=${e.nsec}}`;
    case 'sockExtendedErr':
      return (
        `{ee_errno=${formatExpr(e.errno)}, ee_origin=${formatExpr(e.origin)}, ee_type=${formatExpr(e.type)}, ` +
        `ee_code=${formatExpr(e.code)}, ee_info=${formatExpr(e.info)}, ee_data=${formatExpr(e.data)}}`
      );
    case 'mplsStack':
      return `{${e.entries.map(formatMpls).join(' ')}}`;
    case 'greHeader':
      return `{${formatGre(e.header)}}`;
  }
}

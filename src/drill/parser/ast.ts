/**
 * The typed syntax tree of a packetdrill script (`.pkt`), as produced by `parseScript`.
 *
 * The tree keeps what the script wrote, not what it means at run time: sequence numbers are not
 * mapped, symbols are not resolved, strings keep their backslash escapes, `...` stays a
 * placeholder. Values that the reference parser range-checks at parse time (ports, seq, win, mss,
 * option padding, ...) are already checked here. Every node carries the 1-based `line` and `col`
 * of its first token.
 *
 * Reference: /work/shared/packetdrill/LANGUAGE.md §2–§7.
 */

/** Source position of a node's first token (1-based line and column, column in UTF-16 units). */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

// ---------------------------------------------------------------------------------------------
// Script
// ---------------------------------------------------------------------------------------------

/** A whole script: `option* [init command] event+ [cleanup command]`. */
export interface Script extends Pos {
  /** File name used in error messages (as given to `parseScript`). */
  readonly file: string;
  /** `--name[=value]` lines from the top of the script, in order. */
  readonly options: readonly ScriptOption[];
  /** Back-quoted command before the first event, run before the test (LANGUAGE.md §9). */
  readonly initCommand: CommandSpec | undefined;
  /** The timed events, in script order. */
  readonly events: readonly Event[];
  /** Back-quoted command after the last event, run at the end and on failure. */
  readonly cleanupCommand: CommandSpec | undefined;
  /**
   * The defines in force for the events: the script's own `--define=SYM=VAL` options, overridden
   * by the caller's `defines` (the command line wins, as in packetdrill).
   */
  readonly defines: ReadonlyMap<string, string>;
}

/**
 * One script option, `--name` or `--name=value`. `value` is the option's text as packetdrill
 * hands it to its config parser: a string's content without quotes, an address or number as
 * written, and for `--define=SYM=VAL` the text `SYM=VAL` (`SYM="VAL"` / `` SYM=`VAL` `` for a
 * string or back-quoted value).
 */
export interface ScriptOption extends Pos {
  readonly name: string;
  readonly value: string | undefined;
  /** The value's source text after `=` (quotes kept), for printing the option back. */
  readonly written: string | undefined;
}

/** A back-quoted shell command; `command` is the text between the back quotes, unprocessed. */
export interface CommandSpec extends Pos {
  readonly command: string;
}

// ---------------------------------------------------------------------------------------------
// Events and time
// ---------------------------------------------------------------------------------------------

/**
 * A time value as written: `text` is the literal (`0`, `.1`, `1.5`), `usecs` its value in
 * microseconds computed the way packetdrill does (integer seconds × 10^6, or the float product
 * truncated toward zero).
 */
export interface TimeValue extends Pos {
  readonly text: string;
  readonly usecs: number;
}

/**
 * When an event happens (LANGUAGE.md §5.1):
 * - `absolute` `0.1`: seconds since the start;
 * - `relative` `+0.1`: seconds after the previous event;
 * - `any` `*`: any time (outbound packets only);
 * - `absoluteRange` `0.1~0.2` and `relativeRange` `+0.1~+0.2`: a window (outbound packets only).
 */
export type EventTime =
  | ({ readonly kind: 'absolute' | 'relative' } & Pos & { readonly start: TimeValue })
  | ({ readonly kind: 'any' } & Pos)
  | ({ readonly kind: 'absoluteRange' | 'relativeRange' } & Pos & {
        readonly start: TimeValue;
        readonly end: TimeValue;
      });

/** Any timed event of a script. `line`/`col` are those of the event's time. */
export type Event = PacketEvent | SyscallEvent | CommandEvent | CodeEvent;

/** A packet injected into (`<`) or expected from (`>`) the system under test. */
export interface PacketEvent extends Pos {
  readonly type: 'packet';
  readonly time: EventTime;
  readonly packet: Packet;
}

/** A system call, `name(args) = result [ERRNO (note)] [(note)]`, optionally blocking. */
export interface SyscallEvent extends Pos {
  readonly type: 'syscall';
  readonly time: EventTime;
  readonly syscall: SyscallSpec;
}

/** A timed back-quoted shell command. */
export interface CommandEvent extends Pos {
  readonly type: 'command';
  readonly time: EventTime;
  readonly command: CommandSpec;
}

/** A `%{ ... }%` code block (Python in the reference); `code` has its outer spaces/tabs trimmed. */
export interface CodeEvent extends Pos {
  readonly type: 'code';
  readonly time: EventTime;
  readonly code: string;
}

// ---------------------------------------------------------------------------------------------
// Packets
// ---------------------------------------------------------------------------------------------

/** `<` inbound (injected into the stack under test), `>` outbound (expected from it). */
export type Direction = 'inbound' | 'outbound';

/** A packet line: direction, optional outer encapsulations, IP annotation and the L4 part. */
export interface Packet extends Pos {
  readonly direction: Direction;
  /** Explicit outer headers written before the inner packet, outermost first (§6.4). */
  readonly encaps: readonly Encapsulation[];
  /** The `(...)`/`[...]` annotation of the inner IP header, if written. */
  readonly ip: IpInfo | undefined;
  readonly l4: TcpSegment | UdpDatagram | IcmpMessage;
}

/** ECN codepoint names of an IP annotation. `ect01` means "ECT(0) or ECT(1)" (outbound only). */
export type EcnName = 'noecn' | 'ect0' | 'ect1' | 'ect01' | 'ce';

/** TOS part of an IP annotation: ECN bits only, or the whole TOS/traffic-class byte. */
export type TosSpec =
  | ({ readonly kind: 'ecn'; readonly ecn: EcnName } & Pos)
  | ({ readonly kind: 'tos'; readonly value: number } & Pos);

/**
 * IP-level annotation `[ect0]`, `(tos 0x10)`, `[flowlabel 0x12345]`, `[ect0, flowlabel 0x1]`,
 * `(ttl 64)` (§6.2). `open` is the bracket written (`[` or `(`); the closing one may differ.
 */
export interface IpInfo extends Pos {
  readonly open: '[' | '(';
  readonly tos: TosSpec | undefined;
  readonly flowLabel: number | undefined;
  readonly ttl: number | undefined;
}

/** An outer header in the packet prefix chain. */
export type Encapsulation = Ipv4Encap | Ipv6Encap | GreEncap | MplsEncap;

/** `ipv4 [ip-info] A > B:` */
export interface Ipv4Encap extends Pos {
  readonly kind: 'ipv4';
  readonly ip: IpInfo | undefined;
  readonly src: string;
  readonly dst: string;
}

/** `ipv6 [ip-info] A > B:` */
export interface Ipv6Encap extends Pos {
  readonly kind: 'ipv6';
  readonly ip: IpInfo | undefined;
  readonly src: string;
  readonly dst: string;
}

/** `gre:` (all-default header) or `gre flags [...] sum N off N key=N seq N:` (`GREv0` too). */
export interface GreEncap extends Pos {
  readonly kind: 'gre';
  readonly header: GreHeader | undefined;
}

/** `mpls (label L, tc T, [S], ttl X) ...:` */
export interface MplsEncap extends Pos {
  readonly kind: 'mpls';
  readonly entries: readonly MplsEntry[];
}

/** GRE flag words inside `flags [...]`. */
export type GreFlagName = 'none' | 'checksum' | 'key' | 'sequence';

/**
 * A GRE header (RFC 2784/2890). `flags` is the 16-bit flags field: from a flag list
 * (checksum 0x8000, key 0x2000, sequence 0x1000, none 0) or from an integer.
 */
export interface GreHeader extends Pos {
  readonly flags: number;
  /** The flag words when written as `flags [..]`; undefined when written as an integer. */
  readonly flagNames: readonly GreFlagName[] | undefined;
  readonly sum: number;
  readonly off: number;
  readonly key: number;
  readonly seq: number;
}

/** One MPLS label stack entry `(label L, tc T, [S], ttl X)`. */
export interface MplsEntry extends Pos {
  readonly label: number;
  readonly tc: number;
  readonly bottom: boolean;
  readonly ttl: number;
}

/** Decoded TCP flag letters (§5.3); the position is that of the flags as written. */
export interface TcpFlags extends Pos {
  /** The flags exactly as written (`S.`, `P.5`, `-`). */
  readonly text: string;
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly ack: boolean;
  readonly urg: boolean;
  /** ECE (`E`). */
  readonly ece: boolean;
  /** CWR (`W`). */
  readonly cwr: boolean;
  /** AE, the AccECN bit formerly NS (`A`). */
  readonly ae: boolean;
  /** The ACE digit `0`–`7` when written; it sets AE/CWR/ECE as `ace = AE<<2 | CWR<<1 | ECE`. */
  readonly ace: number | undefined;
}

/** TCP `start:end(len)` with `end == start + len`. */
export interface SeqRange extends Pos {
  readonly start: number;
  readonly end: number;
  readonly len: number;
}

/** `[encap psp spi N]` before the TCP flags. */
export interface PspEncap extends Pos {
  readonly spi: number;
}

/** Explicit `sport>dport`. */
export interface PortPair extends Pos {
  readonly src: number;
  readonly dst: number;
}

/**
 * A TCP segment (§6.1):
 * `[encap psp spi N] [sport>dport] FLAGS start:end(len) [ack A] [win W] [urg U] [<options>|<...>]`.
 */
export interface TcpSegment extends Pos {
  readonly proto: 'tcp';
  readonly psp: PspEncap | undefined;
  readonly ports: PortPair | undefined;
  readonly flags: TcpFlags;
  readonly seq: SeqRange;
  /** `ack A`; undefined when omitted (packetdrill then uses 0). */
  readonly ack: number | undefined;
  /** `win W`; undefined when omitted (outbound: window not checked). */
  readonly win: number | undefined;
  /** `urg U`; undefined when omitted (0). */
  readonly urg: number | undefined;
  /** The options as written, in order; empty when none or for `<...>`. */
  readonly options: readonly TcpOption[];
  /** True for `<...>`: options not checked and any options length allowed (outbound only). */
  readonly optionsAny: boolean;
}

/** `udp [sport>dport] (len)`: a UDP datagram with `len` zero bytes of payload. */
export interface UdpDatagram extends Pos {
  readonly proto: 'udp';
  readonly ports: PortPair | undefined;
  readonly len: number;
}

/** What an ICMP error echoes: `[start:end(len)]` (TCP), `[udp(N)]`, `[raw(N)]`. */
export type IcmpEchoed =
  | ({ readonly proto: 'tcp'; readonly seq: SeqRange } & Pos)
  | ({ readonly proto: 'udp' | 'raw'; readonly len: number } & Pos);

/** `icmp TYPE [CODE] [mtu N] [id N] [echoed]` (§6.4). Type and code are kept as words. */
export interface IcmpMessage extends Pos {
  readonly proto: 'icmp';
  readonly type: string;
  readonly code: string | undefined;
  readonly mtu: number | undefined;
  readonly id: number | undefined;
  readonly echoed: IcmpEchoed | undefined;
}

/** One entry of a TCP option list (§6.3). `optionLength` gives its encoded length. */
export type TcpOption =
  | ({ readonly kind: 'nop' | 'eol' | 'sackOK' } & Pos)
  | ({ readonly kind: 'mss'; readonly mss: number } & Pos)
  /** `wscale N`; `shift` is undefined for the wildcard `wscale *`. */
  | ({ readonly kind: 'wscale'; readonly shift: number | undefined } & Pos)
  | ({ readonly kind: 'sack'; readonly blocks: readonly SackBlock[] } & Pos)
  | ({ readonly kind: 'ts'; readonly val: number; readonly ecr: number } & Pos)
  /** `md5 HEX`: the digest as hex text (at most 16 bytes). */
  | ({ readonly kind: 'md5'; readonly hex: string } & Pos)
  /** `FO [HEX]` (kind 34) / `FOEXP [HEX]` (kind 254, magic 0xF989); empty `cookie` = request. */
  | ({ readonly kind: 'fastOpen' | 'fastOpenExp'; readonly cookie: string } & Pos)
  /** `ECN e0b X [ceb Y [e1b Z]]` (order 0, kind 172) or `ECN e1b X ...` (order 1, kind 174). */
  | ({ readonly kind: 'accEcn'; readonly order: 0 | 1; readonly fields: readonly AccEcnField[] } & Pos);

/** One SACK block `left:right`, unmapped. */
export interface SackBlock extends Pos {
  readonly left: number;
  readonly right: number;
}

/** One AccECN counter field in the order written. */
export interface AccEcnField extends Pos {
  readonly name: 'e0b' | 'ceb' | 'e1b';
  readonly value: number;
}

// ---------------------------------------------------------------------------------------------
// System calls and expressions
// ---------------------------------------------------------------------------------------------

/** `[... end] name(args) = result [ERRNO (note)] [(note)]` (§7.1). */
export interface SyscallSpec extends Pos {
  readonly name: string;
  readonly args: readonly Expr[];
  readonly result: Expr;
  /** The end time of a blocking call (`...0.2`); undefined for a non-blocking call. */
  readonly end: TimeValue | undefined;
  /** `ERRNO (note words)`: errno is checked only when present. */
  readonly errno: ({ readonly name: string; readonly note: string } & Pos) | undefined;
  /** A bare `(note words)` after the result (ignored at run time). */
  readonly note: string | undefined;
}

/** A syscall argument or result expression. */
export type Expr =
  | EllipsisExpr
  | IntExpr
  | WordExpr
  | StringExpr
  | BinaryExpr
  | UnaryExpr
  | AssignExpr
  | CallExpr
  | InetAddrExpr
  | ListExpr
  | BraceListExpr
  | SockaddrExpr
  | MsghdrExpr
  | IovecExpr
  | PollfdExpr
  | EpollEventExpr
  | LingerExpr
  | CmsgExpr
  | ScmTimestampingExpr
  | SockExtendedErrExpr
  | MplsStackExpr
  | GreHeaderExpr;

/** `...`: "don't care" or "the runner supplies it" (§7.5). */
export interface EllipsisExpr extends Pos {
  readonly kind: 'ellipsis';
}

/** An integer literal; `hex` for `0x..`. `text` is as written (`-1`, `0x2`). */
export interface IntExpr extends Pos {
  readonly kind: 'int';
  readonly value: number;
  readonly hex: boolean;
  readonly text: string;
}

/** A symbol such as `SOCK_STREAM`, `NULL` or an errno name; resolved at run time. */
export interface WordExpr extends Pos {
  readonly kind: 'word';
  readonly name: string;
}

/**
 * A string literal; adjacent literals are concatenated. `value` is the text between the quotes
 * with backslash escapes NOT processed (the runner decodes them, LANGUAGE.md §7.2). `ellipsis`
 * is true for `"prefix"...`.
 */
export interface StringExpr extends Pos {
  readonly kind: 'string';
  readonly value: string;
  readonly ellipsis: boolean;
}

/** `a | b` (bitwise or) and `a & b` (bitwise and, a wirestack extension). */
export interface BinaryExpr extends Pos {
  readonly kind: 'binary';
  readonly op: '|' | '&';
  readonly lhs: Expr;
  readonly rhs: Expr;
}

/** `-x` (a wirestack extension). A decimal literal, `-5` or `- 5`, is an `IntExpr` instead. */
export interface UnaryExpr extends Pos {
  readonly kind: 'unary';
  readonly op: '-';
  readonly operand: Expr;
}

/** `NAME=expr`: a named field inside `{...}` or an argument. */
export interface AssignExpr extends Pos {
  readonly kind: 'assign';
  readonly name: string;
  readonly value: Expr;
}

/** `htons(x)` / `htonl(x)` used as a value (a wirestack extension). */
export interface CallExpr extends Pos {
  readonly kind: 'call';
  readonly fn: 'htons' | 'htonl';
  readonly arg: Expr;
}

/** `inet_addr("a.b.c.d")` (family 4) or `inet6_addr("...")` (family 6). */
export interface InetAddrExpr extends Pos {
  readonly kind: 'inetAddr';
  readonly family: 4 | 6;
  readonly addr: string;
}

/** `[x, y, ...]`: an array; `[x]` is an int passed by pointer (§7.2). */
export interface ListExpr extends Pos {
  readonly kind: 'list';
  readonly items: readonly Expr[];
}

/** `{x, y, ...}` that is none of the named struct forms (e.g. `{...}`, `{A=1, B=2}`). */
export interface BraceListExpr extends Pos {
  readonly kind: 'braceList';
  readonly items: readonly Expr[];
}

/** `{sa_family=AF_INET, sin_port=htons(P), sin_addr=inet_addr("A")}`. */
export interface SockaddrExpr extends Pos {
  readonly kind: 'sockaddr';
  readonly family: string;
  readonly port: number;
  readonly addr: string;
}

/** `{msg_name(...)=..., msg_iov(N)=[...], msg_flags=F [, msg_control=[...]]}`. */
export interface MsghdrExpr extends Pos {
  readonly kind: 'msghdr';
  readonly iovLen: number;
  readonly iov: ListExpr;
  readonly flags: Expr;
  /** Undefined when `msg_control` is not written. */
  readonly control: ListExpr | undefined;
}

/** `{..., len}`: an iovec with a runner-supplied buffer of `len` bytes. */
export interface IovecExpr extends Pos {
  readonly kind: 'iovec';
  readonly len: number;
}

/** `{fd=F, events=E [, revents=R]}`. */
export interface PollfdExpr extends Pos {
  readonly kind: 'pollfd';
  readonly fd: Expr;
  readonly events: Expr;
  readonly revents: Expr | undefined;
}

/** `{events=E, fd=F|ptr=P|u32=U|u64=U}`. */
export interface EpollEventExpr extends Pos {
  readonly kind: 'epollEvent';
  readonly events: Expr;
  readonly member: 'fd' | 'ptr' | 'u32' | 'u64';
  readonly data: Expr;
}

/** `{onoff=N, linger=N}`. */
export interface LingerExpr extends Pos {
  readonly kind: 'linger';
  readonly onoff: number;
  readonly linger: number;
}

/** `{cmsg_level=L, cmsg_type=T, cmsg_data=D}`. */
export interface CmsgExpr extends Pos {
  readonly kind: 'cmsg';
  readonly level: Expr;
  readonly type: Expr;
  readonly data: Expr;
}

/** `{scm_sec=S, scm_nsec=N}`. */
export interface ScmTimestampingExpr extends Pos {
  readonly kind: 'scmTimestamping';
  readonly sec: number;
  readonly nsec: number;
}

/** `{ee_errno=.., ee_origin=.., ee_type=.., ee_code=.., ee_info=.., ee_data=..}`. */
export interface SockExtendedErrExpr extends Pos {
  readonly kind: 'sockExtendedErr';
  readonly errno: Expr;
  readonly origin: Expr;
  readonly type: Expr;
  readonly code: Expr;
  readonly info: Expr;
  readonly data: Expr;
}

/** `{ (label L, tc T, [S], ttl X) ... }` (may be empty: `{}`). */
export interface MplsStackExpr extends Pos {
  readonly kind: 'mplsStack';
  readonly entries: readonly MplsEntry[];
}

/** `{flags ... sum N off N key N seq N}`. */
export interface GreHeaderExpr extends Pos {
  readonly kind: 'greHeader';
  readonly header: GreHeader;
}

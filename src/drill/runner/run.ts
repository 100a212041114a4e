/**
 * Runs one parsed script in one IP-version variant against a fresh stack (LANGUAGE.md §1, §12):
 * the stack sits on an 'ip' memory cable whose other end is the runner, which injects the
 * script's inbound packets, collects the stack's outbound frames with their virtual times and
 * matches them, makes the system calls through `SocketApi`, runs the shell commands and the
 * `%{ }%` code on a virtual clock driven by the `SimDriver`.
 */
import { MemoryCable } from '../../core/link/cable.js';
import { capabilities, type Link, type LinkCapabilities } from '../../core/link/link.js';
import { PcapTap } from '../../core/link/tap.js';
import type { CaptureWriter } from '../../core/pcap/common.js';
import { Xoshiro128 } from '../../core/rand/rng.js';
import { type CallResult, isPending, type PendingCall, SocketApi, type SysResult } from '../../core/socket/api.js';
import { ERRNO, errnoText, LINUX } from '../../core/socket/linux.js';
import { Stack } from '../../core/stack/stack.js';
import { TcpLayer } from '../../core/tcp/layer.js';
import type { Instant } from '../../core/time/time.js';
import { SimDriver } from '../../driver/sim.js';
import { CodeSession, type SnapshotNumber } from '../code/index.js';
import { ShellInterpreter } from '../commands/interpreter.js';
import type { CommandSpec, Event, Expr, PacketEvent, Script, SyscallEvent } from '../parser/ast.js';
import type { VariantConfig } from '../variants.js';
import { StackNamespace } from './namespace.js';
import {
  buildInbound,
  ConnState,
  type ExpectedTime,
  type LiveFrame,
  OutboundMatcher,
  type PacketConfig,
  packetConfig,
  resolveTime,
  sniffTimeoutUs,
  verifyTime,
} from './packets/index.js';
import { addrPlan, type AddrPlan, prepare, type PreparedCall, SyscallError } from './syscalls.js';

/** The remote port of passive connections (the peer's "ephemeral" port). */
export const REMOTE_PORT = 48_879;

export interface RunOptions {
  /** Directory of the script, for relative paths in commands. */
  readonly cwd: string;
  readonly readFile: (path: string) => string | undefined;
  readonly toleranceUsecs?: number;
  /** Records every packet the stack sends and receives (raw IP; `--pcap DIR`). */
  readonly capture?: CaptureWriter;
}

export interface RunOutcome {
  readonly ok: boolean;
  /** `file:line: error: ...` when not ok. */
  readonly message: string;
  readonly virtualUs: number;
}

class Fail extends Error {}

/**
 * The stack's side of the runner's link (the TUN device): the stack sends MTU-sized packets on one
 * cable and receives on another whose few slots take packets up to 64 KiB, since a TUN device
 * accepts inbound packets larger than its MTU (GRO aggregates, `--mss`).
 */
class StackSide implements Link {
  readonly caps: LinkCapabilities;
  /** `--mss`: inbound packets larger than the MTU arrive as aggregates of segments this big. */
  gsoSize = 0;
  constructor(
    private readonly out: Link,
    private readonly inp: Link,
    mtu: number,
  ) {
    this.caps = capabilities({ medium: 'ip', mtu, checksumOffload: false });
  }
  get stats(): Link['stats'] {
    return this.out.stats;
  }
  transmit(buf: Uint8Array, off: number, len: number, now: Instant): boolean {
    return this.out.transmit(buf, off, len, now);
  }
  receive(now: Instant): ReturnType<Link['receive']> {
    const f = this.inp.receive(now);
    if (f !== undefined) f.gsoSize = this.gsoSize > 0 && f.len > this.gsoSize + 40 ? this.gsoSize : 0;
    return f;
  }
  pollAt(): Instant | undefined {
    return this.inp.pollAt();
  }
}

/** Largest inbound IP packet the runner injects (a GRO aggregate). */
const MAX_INBOUND = 65_535 + 40;

/** Collects what the stack sends into the runner's FIFO. */
class Collector {
  readonly fifo: LiveFrame[] = [];
  constructor(private readonly link: Link) {}
  pollAt(): Instant | undefined {
    return undefined;
  }
  poll(now: Instant): void {
    for (let f = this.link.receive(now); f !== undefined; f = this.link.receive(now)) {
      this.fifo.push({ frame: f.buf.slice(f.off, f.off + f.len), timeUs: now });
    }
  }
}

interface Blocked {
  readonly ev: SyscallEvent;
  readonly pending: PendingCall;
  readonly startUs: number;
  readonly endUs: number;
  readonly prepared: Pick<PreparedCall, 'newFd' | 'sut' | 'closeFd' | 'check'>;
}

function optionValue(script: Script, name: string): string | undefined {
  for (const o of script.options) if (o.name === name) return o.value ?? '';
  return undefined;
}

export class ScriptRun {
  private readonly sim = new SimDriver();
  private readonly stack: Stack;
  private readonly tcp: TcpLayer;
  private readonly api: SocketApi;
  private readonly collector: Collector;
  private readonly cableEnd: Link;
  private readonly conn: ConnState;
  private readonly matcher: OutboundMatcher;
  private readonly cfg: PacketConfig;
  private readonly plan: AddrPlan;
  private readonly fds = new Map<number, number>();
  private readonly shell: ShellInterpreter;
  private readonly code = new CodeSession();
  private sutFd = -1;
  private sutListening = false;
  private activeOpen = false;
  private blocked: Blocked | undefined;
  private blockedError: string | undefined;

  constructor(
    private readonly script: Script,
    private readonly variant: VariantConfig,
    opts: RunOptions,
  ) {
    this.cfg = scriptPacketConfig(script, opts);
    const cable = new MemoryCable({ medium: 'ip', mtu: variant.mtu, checksumOffload: false, delayUs: 0 });
    const inbound = new MemoryCable({ medium: 'ip', mtu: variant.mtu, tso: true, maxTsoBytes: MAX_INBOUND, checksumOffload: false, queueFrames: 8 });
    const side = new StackSide(cable.a, inbound.a, variant.mtu);
    side.gsoSize = this.cfg.mss;
    const stackSide: Link = opts.capture !== undefined ? new PcapTap(side, opts.capture) : side;
    this.stack = new Stack({ name: 'sut', rng: new Xoshiro128(7) });
    const iface = this.stack.addInterface(stackSide, { name: 'tun0' });
    this.conn = ConnState.forVariant(variant, 8080, REMOTE_PORT);
    if (this.conn.family === 4) {
      this.stack.addAddress(iface.index, this.conn.local4, variant.prefixLen);
      this.stack.routes4.add({ dst: 0, prefixLen: 0, ifindex: iface.index });
    } else {
      this.stack.addAddress(iface.index, this.conn.local6.slice(), variant.prefixLen);
      this.stack.routes6.add({ dst: new Uint8Array(16), prefixLen: 0, ifindex: iface.index });
    }
    this.tcp = new TcpLayer(this.stack, this.stack.sysctls, { rng: new Xoshiro128(8) });
    this.stack.registerTransport(this.tcp);
    this.api = new SocketApi(this.stack, this.tcp, { clock: () => this.sim.now() });
    this.cableEnd = inbound.b;
    this.collector = new Collector(cable.b);
    this.sim.add(this.stack, [stackSide]).add(this.collector, [cable.b]).addCable(cable).addCable(inbound);
    this.matcher = new OutboundMatcher(this.conn, this.cfg);
    this.plan = addrPlan(variant.version, this.conn);
    this.shell = new ShellInterpreter({
      ns: new StackNamespace(this.stack, this.tcp),
      cwd: opts.cwd,
      readFile: opts.readFile,
      env: { PACKETDRILL_PID: '1000', PPID: '1000' },
    });
  }

  private err(line: number, msg: string): Fail {
    return new Fail(`${this.script.file}:${line}: error: ${msg}`);
  }

  /** `file:line: error handling packet: msg`, the reference runner's wording. */
  private packetErr(line: number, msg: string): Fail {
    return new Fail(`${this.script.file}:${line}: error handling packet: ${msg}`);
  }

  private get now(): number {
    return this.sim.now();
  }

  /** The timeout of the blocked call when it lies ahead (the call must be retried then). */
  private blockedDeadline(): number | undefined {
    const d = this.blocked?.pending.deadline;
    return d !== undefined && d > this.now && this.blockedError === undefined ? d : undefined;
  }

  /** Runs the sim up to `us`, retrying a blocked call after every step and at its timeout. */
  private advanceTo(us: number): void {
    for (;;) {
      const next = this.sim.nextDeadline();
      const bd = this.blockedDeadline();
      if (bd !== undefined && bd <= us && (next === undefined || bd < next)) {
        this.sim.runUntil(bd as Instant);
        this.api.epollTick();
        this.retryBlocked();
        continue;
      }
      if (next === undefined || next > us) {
        if (us > this.now) this.sim.runUntil(us as Instant);
        this.api.epollTick();
        this.retryBlocked();
        return;
      }
      this.sim.step();
      this.api.epollTick();
      this.retryBlocked();
    }
  }

  /** One sim step (or a jump to `limit`, or to the blocked call's timeout, when nothing is due before). */
  private stepUntil(limit: number): void {
    const bd = this.blockedDeadline();
    const lim = bd !== undefined && bd < limit ? bd : limit;
    const next = this.sim.nextDeadline();
    if (next === undefined || next > lim) this.sim.runUntil(lim as Instant);
    else this.sim.step();
    this.api.epollTick();
    this.retryBlocked();
  }

  private retryBlocked(): void {
    const b = this.blocked;
    if (b === undefined || this.blockedError !== undefined) return;
    const r = b.pending.retry(this.now as Instant);
    if (isPending(r)) return;
    this.blocked = undefined;
    const msg = this.finishCall(b.ev, r, b.prepared);
    if (msg !== undefined) {
      this.blockedError = msg;
      return;
    }
    const t = verifyTime({ kind: 'exact', us: b.endUs }, this.now, b.startUs, this.cfg, 'system call return');
    if (t !== undefined) this.blockedError = `${this.script.file}:${b.ev.line}: error: ${t}`;
  }

  private checkBlockedError(): void {
    if (this.blockedError !== undefined) throw new Fail(this.blockedError);
  }

  run(): RunOutcome {
    try {
      if (this.script.initCommand !== undefined) this.command(this.script.initCommand);
      let prevUs = 0;
      for (const ev of this.script.events) {
        prevUs = this.event(ev, prevUs);
        this.checkBlockedError();
      }
      this.finishBlocked();
      if (this.script.cleanupCommand !== undefined) this.command(this.script.cleanupCommand);
      for (const live of this.fds.values()) this.api.close(live);
      this.fds.clear();
      return { ok: true, message: '', virtualUs: this.now };
    } catch (e) {
      if (e instanceof Fail) return { ok: false, message: e.message, virtualUs: this.now };
      if (e instanceof SyscallError) return { ok: false, message: `${this.script.file}: error: ${e.message}`, virtualUs: this.now };
      throw e;
    }
  }

  private finishBlocked(): void {
    const b = this.blocked;
    if (b === undefined) return;
    const limit = b.endUs + Math.max(this.cfg.toleranceUsecs, 1_000_000);
    while (this.blocked !== undefined && this.now < limit) this.stepUntil(limit);
    this.checkBlockedError();
    if (this.blocked !== undefined) throw this.err(b.ev.line, `blocking system call ${b.ev.syscall.name}() did not return by ${(b.endUs / 1e6).toFixed(6)} sec`);
  }

  private event(ev: Event, prevUs: number): number {
    const t = resolveTime(ev.time, prevUs);
    if (ev.type === 'packet' && ev.packet.direction === 'outbound') return this.outbound(ev, t, prevUs);
    const startUs = t.kind === 'exact' ? t.us : t.kind === 'range' ? t.startUs : this.now;
    this.advanceTo(startUs);
    this.checkBlockedError();
    switch (ev.type) {
      case 'packet':
        this.inbound(ev);
        break;
      case 'syscall':
        this.syscall(ev, startUs, prevUs);
        break;
      case 'command':
        this.command(ev.command);
        break;
      case 'code':
        this.runCode(ev.code, ev.line);
        break;
    }
    return startUs;
  }

  // ------------------------------------------------------------------ packets

  private inbound(ev: PacketEvent): void {
    const l4 = ev.packet.l4;
    if (l4.proto === 'tcp') {
      if (this.sutListening) {
        this.conn.remoteIsn = l4.seq.start >>> 0;
        this.sutListening = false;
      } else if (this.activeOpen && l4.flags.syn && l4.flags.ack) {
        this.conn.remoteIsn = l4.seq.start >>> 0;
        this.activeOpen = false;
      }
    }
    const b = buildInbound(ev.packet, this.conn, this.cfg);
    if (!b.ok) throw this.packetErr(ev.line, b.error);
    if (!this.cableEnd.transmit(b.frame, 0, b.frame.length, this.now as Instant)) {
      throw this.packetErr(ev.line, `could not inject the packet (${b.frame.length} bytes; the runner's link queue is full or the packet is over 64 KiB)`);
    }
    this.advanceTo(this.now);
  }

  private outbound(ev: PacketEvent, t: ExpectedTime, prevUs: number): number {
    const timeout = sniffTimeoutUs(t, prevUs);
    const deadline = timeout === undefined ? Number.POSITIVE_INFINITY : prevUs + timeout;
    const fifo = this.collector.fifo;
    for (;;) {
      this.checkBlockedError();
      const r = this.matcher.match({ event: ev, time: t, lastUs: prevUs }, fifo);
      if (r.ok) {
        fifo.splice(0, r.consumed);
        return t.kind === 'exact' ? t.us : r.liveTimeUs;
      }
      if (!r.needMore) {
        fifo.splice(0, r.consumed);
        if (r.warning) return t.kind === 'exact' ? t.us : this.now;
        throw new Fail(r.error);
      }
      if (this.now >= deadline) throw this.packetErr(ev.line, 'Timed out waiting for packet');
      if (this.sim.nextDeadline() === undefined && deadline === Number.POSITIVE_INFINITY) {
        throw this.packetErr(ev.line, 'Timed out waiting for packet (nothing more will be sent)');
      }
      this.stepUntil(deadline);
    }
  }

  // ------------------------------------------------------------------ system calls

  private liveFd(e: Expr, line: number): number {
    if (e.kind !== 'int') throw this.err(line, 'expected a file descriptor number');
    const live = this.fds.get(e.value);
    if (live === undefined) throw this.err(line, `unknown fd ${e.value}`);
    return live;
  }

  private syscall(ev: SyscallEvent, startUs: number, prevUs: number): void {
    const s = ev.syscall;
    if (this.blocked !== undefined) {
      const limit = this.now + 1_000_000;
      while (this.blocked !== undefined && this.now < limit) this.stepUntil(limit);
      this.checkBlockedError();
      if (this.blocked !== undefined) {
        throw this.err(ev.line, 'blocking system call while another blocking system call is already in progress');
      }
    }
    let p;
    try {
      p = prepare(this.api, s.name, s.args, (e) => this.liveFd(e, ev.line), this.plan);
    } catch (e) {
      if (e instanceof SyscallError) throw this.err(ev.line, e.message);
      throw e;
    }
    if (p.connect) {
      this.conn.localPort = 0;
      this.conn.remotePort = this.plan.port;
      this.conn.localIsnKnown = false;
      this.activeOpen = true;
      this.sutListening = false;
    }
    if (s.name === 'listen') {
      this.sutListening = true;
      this.conn.localPort = this.plan.port;
      this.conn.remotePort = REMOTE_PORT;
      this.conn.localIsnKnown = false;
      this.sutFd = -1;
    }
    const r: CallResult = p.run();
    this.api.epollTick();
    if (isPending(r)) {
      if (s.end === undefined) throw this.err(ev.line, `${s.name}() blocked unexpectedly (give an end time: +t...end)`);
      const endUs = ev.time.kind === 'relative' || ev.time.kind === 'relativeRange' ? prevUs + s.end.usecs : s.end.usecs;
      this.blocked = { ev, pending: r.pending, startUs, endUs, prepared: p };
      this.advanceTo(this.now);
      return;
    }
    const msg = this.finishCall(ev, r, p);
    if (msg !== undefined) throw new Fail(msg);
    if (s.end !== undefined) {
      const endUs = ev.time.kind === 'relative' || ev.time.kind === 'relativeRange' ? prevUs + s.end.usecs : s.end.usecs;
      const terr = verifyTime({ kind: 'exact', us: endUs }, this.now, startUs, this.cfg, 'system call return');
      if (terr !== undefined) throw this.err(ev.line, terr);
    }
    this.advanceTo(this.now);
  }

  /** Checks a completed call against the script; returns an error message or undefined. */
  private finishCall(ev: SyscallEvent, r: SysResult, p: Blocked['prepared']): string | undefined {
    const s = ev.syscall;
    const where = `${this.script.file}:${ev.line}: error handling system call`;
    let want: number;
    try {
      want = evalResult(s.result);
    } catch (e) {
      return `${where}: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (p.newFd && want >= 0) {
      if (r.ret < 0) return `${where}: Expected non-negative result but got -1 with errno ${errnoText(r.errno ?? 0)}`;
      if (this.fds.has(want)) return `${where}: duplicate script fd ${want}`;
      this.fds.set(want, r.ret);
      if (p.sut === true) this.sutFd = r.ret;
      if (s.name === 'socket') {
        this.conn.localPort = this.plan.port;
        this.conn.remotePort = REMOTE_PORT;
        this.conn.localIsnKnown = false;
        this.sutListening = false;
        this.activeOpen = false;
      }
    } else if (r.ret !== want) {
      const extra = r.ret === -1 ? ` with errno ${errnoText(r.errno ?? 0)}` : '';
      return `${where}: Expected result ${want} but got ${r.ret}${extra}`;
    }
    if (s.errno !== undefined) {
      const e = (ERRNO as Record<string, number>)[s.errno.name];
      if (e === undefined) return `${where}: unknown errno symbol ${s.errno.name}`;
      if (r.errno !== e) return `${where}: Expected errno ${errnoText(e)} but got ${r.errno === undefined ? 'none' : errnoText(r.errno)}`;
    }
    if (p.closeFd !== undefined && r.ret === 0) {
      const live = this.fds.get(p.closeFd);
      this.fds.delete(p.closeFd);
      if (live === this.sutFd) this.sutFd = -1;
    }
    const c = p.check(r);
    return c === undefined ? undefined : `${where}: ${c}`;
  }

  // ------------------------------------------------------------------ commands and code

  private command(c: CommandSpec): void {
    const r = this.shell.run(c.command);
    if (r.unsupported.length > 0) {
      throw this.err(c.line, `executing \`${c.command}\` command: unsupported: ${r.unsupported.join(', ')}`);
    }
    if (r.status !== 0) {
      throw this.err(c.line, `executing \`${c.command}\` command: non-zero status ${r.status}${r.stderr === '' ? '' : `: ${r.stderr.trim()}`}`);
    }
    if (r.sleepUs > 0) this.advanceTo(this.now + r.sleepUs);
  }

  private runCode(code: string, line: number): void {
    if (this.sutFd < 0) throw this.err(line, 'in Python code: no socket under test to read TCP_INFO from');
    const r = this.api.getsockopt(this.sutFd, LINUX.SOL_TCP, LINUX.TCP_INFO);
    if (r.ret < 0 || typeof r.value !== 'object') throw this.err(line, 'in Python code: getsockopt(TCP_INFO) failed');
    const tcpInfo = r.value as unknown as Record<string, SnapshotNumber>;
    const out = this.code.run(code, { tcpInfo }, { file: this.script.file, line });
    if (!out.ok) throw new Fail(out.message);
  }
}

/** The packet options of a script (§4): its own option lines, then the command line's. */
function scriptPacketConfig(script: Script, opts: RunOptions): PacketConfig {
  const num = (name: string, def: number): number => {
    const v = optionValue(script, name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || v.trim() === '') throw new SyscallError(`bad value for --${name}: '${v}'`);
    return n;
  };
  const nonFatal = optionValue(script, 'non_fatal');
  return packetConfig({
    file: script.file,
    toleranceUsecs: opts.toleranceUsecs ?? num('tolerance_usecs', 4000),
    tolerancePercent: num('tolerance_percent', 12.5),
    tcpTsTickUsecs: num('tcp_ts_tick_usecs', 0),
    tcpTsEcrScaled: optionValue(script, 'tcp_ts_ecr_scaled') !== undefined,
    strictSegments: optionValue(script, 'strict_segments') !== undefined,
    nonFatalPacket: nonFatal !== undefined && nonFatal.split(',').includes('packet'),
    mss: num('mss', 0),
  });
}

function evalResult(e: Expr): number {
  if (e.kind === 'int') return e.value;
  if (e.kind === 'unary' && e.operand.kind === 'int') return -e.operand.value;
  throw new SyscallError('the result must be an integer');
}

/** Runs one script in one variant. */
export function runScript(script: Script, variant: VariantConfig, opts: RunOptions): RunOutcome {
  return new ScriptRun(script, variant, opts).run();
}

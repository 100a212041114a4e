/**
 * Network namespaces and TUN/TAP devices for real I/O: a device opened by this process (so that
 * its file descriptor stays here, with the stack) and then moved into a named network namespace,
 * where the kernel side of the device lives. The kernel side is configured with iproute2 (`ip -n
 * NS ...`): MTU, optional peer addresses, link up.
 *
 * A device cannot be opened by name inside another namespace without entering it, so it is
 * created here under a temporary name and moved with `ip link set dev TMP netns NS name NAME`.
 * Closing the link removes the device (it is not persistent).
 *
 * Errors are `NetnsError`s with a one-line message naming what failed and why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Instant } from '../../core/time/time.js';
import { TapLink, TUN_DEVICE, TunLink, type TunTapLink } from './tun.js';

export class NetnsError extends Error {
  override readonly name = 'NetnsError';
}

/** Why TUN/TAP in a namespace cannot work here (not Linux, not root, no device node, no `ip`); else undefined. */
export function tunUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `TUN/TAP needs Linux (platform is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (creates TUN/TAP devices and network namespaces)';
  if (!existsSync(TUN_DEVICE)) return `${TUN_DEVICE} is missing (load the tun module or pass the device in)`;
  if (spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0) return 'the ip tool (iproute2) is missing';
  return undefined;
}

/** Runs `ip [-n netns] ARGS...`; returns stdout or throws a `NetnsError` with ip's first error line. */
export function ip(args: readonly string[], netns?: string): string {
  const full = netns === undefined ? [...args] : ['-n', netns, ...args];
  try {
    return execFileSync('ip', full, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const why = (err.stderr ?? '').trim().split('\n')[0] || err.message.split('\n')[0]!;
    throw new NetnsError(`ip ${full.join(' ')}: ${why}`);
  }
}

const NS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export function netnsExists(name: string): boolean {
  return NS_NAME.test(name) && existsSync(`/run/netns/${name}`);
}

/** `ip netns add NAME` (with loopback up). */
export function addNetns(name: string): void {
  if (!NS_NAME.test(name)) throw new NetnsError(`bad network namespace name: ${JSON.stringify(name)}`);
  ip(['netns', 'add', name]);
  ip(['link', 'set', 'lo', 'up'], name);
}

/** `ip netns del NAME`; quiet when it is already gone. */
export function delNetns(name: string): void {
  if (netnsExists(name)) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
}

/** Runs `argv` inside `netns` (`ip netns exec`) — the argv to spawn. */
export function inNetns(netns: string, argv: readonly string[]): [string, string[]] {
  return ['ip', ['netns', 'exec', netns, ...argv]];
}

export interface DeviceOptions {
  mode: 'tun' | 'tap';
  /** Interface name (≤ 15 bytes). */
  name: string;
  /** Move the device into this namespace (which must exist). Default: stay in this one. */
  netns?: string;
  /** Device MTU (set on the kernel side too). Default 1500. */
  mtu?: number;
  /** virtio-net header with checksum offload and TSO (64 KiB frames). Default false. */
  offload?: boolean;
  /** Kernel-side addresses (CIDR) to put on the device (IPv6 without DAD). */
  peerAddrs?: readonly string[];
  onInput?: () => void;
  clock?: () => Instant;
  /** Frames buffered between the device and the stack. */
  queueFrames?: number;
}

let tmpCounter = 0;

/**
 * Opens a TUN or TAP device, moves it into `netns` if given, sets its MTU and peer addresses and
 * brings it up. The returned link owns the device; `close()` removes it.
 */
export function openDevice(o: DeviceOptions): TunTapLink {
  if (o.name.length === 0 || new TextEncoder().encode(o.name).length > 15 || !/^[^\s/:]+$/.test(o.name)) {
    throw new NetnsError(`bad interface name: ${JSON.stringify(o.name)} (1 to 15 bytes, no spaces, / or :)`);
  }
  if (o.netns !== undefined && !netnsExists(o.netns)) {
    throw new NetnsError(`network namespace ${o.netns} does not exist (create it with --create-netns)`);
  }
  const mtu = o.mtu ?? 1500;
  // In this namespace under a name no one else uses, when it is to move.
  const openName = o.netns === undefined ? o.name : `wstmp${process.pid % 100000}x${tmpCounter++}`;
  const open = o.mode === 'tun' ? TunLink.open : TapLink.open;
  let link: TunTapLink;
  try {
    link = open({
      name: openName,
      mtu,
      vnetHdr: o.offload ?? false,
      ...(o.onInput !== undefined ? { onInput: o.onInput } : {}),
      ...(o.clock !== undefined ? { clock: o.clock } : {}),
      ...(o.queueFrames !== undefined ? { queueFrames: o.queueFrames } : {}),
    });
  } catch (e) {
    throw new NetnsError(`cannot create ${o.mode.toUpperCase()} device ${o.name}: ${(e as Error).message}`);
  }
  try {
    if (link.name !== openName) throw new NetnsError(`the kernel named the device ${link.name}, not ${openName}`);
    if (o.netns !== undefined) ip(['link', 'set', 'dev', openName, 'netns', o.netns, 'name', o.name]);
    const ns = o.netns;
    ip(['link', 'set', 'dev', o.name, 'mtu', String(mtu)], ns);
    for (const a of o.peerAddrs ?? []) {
      ip(a.includes(':') ? ['-6', 'addr', 'add', a, 'dev', o.name, 'nodad'] : ['addr', 'add', a, 'dev', o.name], ns);
    }
    ip(['link', 'set', 'dev', o.name, 'up'], ns);
  } catch (e) {
    link.close();
    throw e instanceof NetnsError ? e : new NetnsError(`cannot set up device ${o.name}: ${(e as Error).message}`);
  }
  return link;
}

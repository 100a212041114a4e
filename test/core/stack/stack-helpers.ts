/** Two stacks over a memory cable, driven by a SimDriver (shared by the stack tests). */
import type { CableOptions } from '../../../src/core/link/cable.js';
import { MemoryCable } from '../../../src/core/link/cable.js';
import type { Link, Medium } from '../../../src/core/link/link.js';
import { Xoshiro128 } from '../../../src/core/rand/rng.js';
import type { Interface } from '../../../src/core/stack/iface.js';
import { Stack } from '../../../src/core/stack/stack.js';
import { parseIpv4, parseIpv6 } from '../../../src/core/wire/address.js';
import { SimDriver } from '../../../src/driver/sim.js';

export function ip4(s: string): number {
  return parseIpv4(s);
}

export function ip6(s: string): Uint8Array {
  const b = new Uint8Array(16);
  if (!parseIpv6(s, b)) throw new Error(`bad IPv6 address ${s}`);
  return b;
}

export const MAC_A = new Uint8Array([0x02, 0, 0, 0, 0, 0x0a]);
export const MAC_B = new Uint8Array([0x02, 0, 0, 0, 0, 0x0b]);
export const A4 = ip4('10.0.0.1');
export const B4 = ip4('10.0.0.2');
export const A6 = ip6('2001:db8::a');
export const B6 = ip6('2001:db8::b');

export interface Pair {
  cable: MemoryCable;
  a: Stack;
  b: Stack;
  ia: Interface;
  ib: Interface;
  sim: SimDriver;
}

/** Stacks a (10.0.0.1, 2001:db8::a) and b (10.0.0.2, 2001:db8::b) on one cable. */
export function pair(
  medium: Medium,
  opts: CableOptions = {},
  wrap: (l: Link, side: 'a' | 'b') => Link = (l) => l,
): Pair {
  const cable = new MemoryCable({ medium, delayUs: 100, ...opts });
  const a = new Stack({ name: 'a', rng: new Xoshiro128(1) });
  const b = new Stack({ name: 'b', rng: new Xoshiro128(2) });
  const la = wrap(cable.a, 'a');
  const lb = wrap(cable.b, 'b');
  const ia = a.addInterface(la, medium === 'ethernet' ? { mac: MAC_A } : {});
  const ib = b.addInterface(lb, medium === 'ethernet' ? { mac: MAC_B } : {});
  a.addAddress(ia.index, A4, 24);
  b.addAddress(ib.index, B4, 24);
  a.addAddress(ia.index, A6, 64);
  b.addAddress(ib.index, B6, 64);
  const sim = new SimDriver().add(a, [la]).add(b, [lb]).addCable(cable);
  return { cable, a, b, ia, ib, sim };
}

export function bytes(n: number, seed = 1): Uint8Array {
  const r = new Xoshiro128(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.nextU32() & 0xff;
  return out;
}

/** Two NetStacks (10.0.0.1 / 2001:db8::a and 10.0.0.2 / 2001:db8::b) on a memory cable, one driver. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { NetStack } from '../../../src/api/net/index.js';
import { RealtimeDriver } from '../../../src/driver/realtime.js';
import { pair } from '../../core/stack/stack-helpers.js';

export interface NetPair {
  a: NetStack;
  b: NetStack;
  driver: RealtimeDriver;
  close(): void;
}

export function netPair(): NetPair {
  const p = pair('ethernet', { delayUs: 0 });
  const driver = new RealtimeDriver();
  const a = new NetStack({ stack: p.a, links: [p.cable.a], driver });
  const b = new NetStack({ stack: p.b, links: [p.cable.b], driver });
  return {
    a,
    b,
    driver,
    close: () => {
      a.close();
      b.close();
      driver.stop();
    },
  };
}

export const A4 = '10.0.0.1';
export const B4 = '10.0.0.2';
export const A6 = '2001:db8::a';
export const B6 = '2001:db8::b';

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Collects a readable stream until it ends. */
export async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  s.on('data', (c: Buffer) => parts.push(c));
  await once(s, 'end');
  return Buffer.concat(parts);
}

/**
 * Where tests find the checkout and the shared folder, wherever the tests run from (dist/ after
 * `npm test`, or a private build directory).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the nearest ancestor holding package.json and src/. */
export function checkoutRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'src'))) return d;
    const up = dirname(d);
    if (up === d) throw new Error('checkout (package.json + src/) not found above the test files');
    d = up;
  }
}

/** The shared folder: $WIRESTACK_SHARED, else `shared/` beside the checkout. */
export function sharedDir(): string {
  const env = process.env.WIRESTACK_SHARED;
  return env !== undefined && env !== '' ? env : join(checkoutRoot(), '..', 'shared');
}

/** A path under the shared folder, e.g. `sharedPath('packetdrill', 'reference')`. */
export function sharedPath(...parts: string[]): string {
  return join(sharedDir(), ...parts);
}

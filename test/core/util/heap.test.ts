import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type Instant, instant } from '../../../src/core/time/time.js';
import { DeadlineHeap } from '../../../src/core/util/heap.js';

function drain(h: DeadlineHeap): [number, number][] {
  const out: [number, number][] = [];
  while (h.size > 0) {
    const d = h.peek()!;
    const id = h.pop();
    assert.equal(h.poppedDeadline, d);
    out.push([d, id]);
  }
  return out;
}

describe('DeadlineHeap', () => {
  test('pops in (deadline, id) order', () => {
    const h = new DeadlineHeap(2);
    h.push(instant(30), 1);
    h.push(instant(10), 7);
    h.push(instant(20), 3);
    h.push(instant(10), 2);
    assert.equal(h.size, 4);
    assert.equal(h.peek(), 10);
    assert.equal(h.peekId(), 2);
    assert.deepEqual(drain(h), [
      [10, 2],
      [10, 7],
      [20, 3],
      [30, 1],
    ]);
    assert.equal(h.peek(), undefined);
    assert.equal(h.peekId(), -1);
    assert.equal(h.pop(), -1);
  });

  test('matches a sorted reference under random pushes and pops', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('push' as const),
              d: fc.integer({ min: 0, max: 1000 }),
              id: fc.nat(50),
            }),
            fc.record({ op: fc.constant('pop' as const) }),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const h = new DeadlineHeap(1);
          const ref: [number, number][] = [];
          for (const o of ops) {
            if (o.op === 'push') {
              h.push(instant(o.d), o.id);
              ref.push([o.d, o.id]);
              ref.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
            } else {
              const want = ref.shift();
              const d = h.peek();
              const id = h.pop();
              assert.deepEqual(want === undefined ? [undefined, -1] : want, [d, id]);
            }
            assert.equal(h.size, ref.length);
          }
          assert.deepEqual(drain(h), ref);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('lazy deletion with prune and compact', () => {
    // Timer owners: id -> current deadline (undefined = cancelled).
    const armed = new Map<number, number>();
    const isLive = (d: Instant, id: number): boolean => armed.get(id) === d;
    const h = new DeadlineHeap();
    const arm = (id: number, d: number): void => {
      armed.set(id, d);
      h.push(instant(d), id);
    };
    arm(1, 100);
    arm(2, 50);
    arm(1, 200); // re-armed: the (100, 1) entry is stale
    arm(3, 10);
    armed.delete(3); // cancelled
    assert.equal(h.size, 4);
    assert.equal(h.prune(isLive), 50);
    assert.equal(h.peekId(), 2);
    assert.equal(h.size, 3);
    assert.equal(h.compact(isLive), 1);
    assert.equal(h.size, 2);
    assert.deepEqual(drain(h), [
      [50, 2],
      [200, 1],
    ]);
    assert.equal(h.prune(isLive), undefined);
  });

  test('compact keeps heap order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(10000), fc.nat(1000), fc.boolean()), { maxLength: 200 }),
        (entries) => {
          const h = new DeadlineHeap(4);
          const live = new Set<string>();
          for (const [d, id, keep] of entries) {
            h.push(instant(d), id);
            if (keep) live.add(`${d}/${id}`);
          }
          h.compact((d, id) => live.has(`${d}/${id}`));
          const want = entries
            .filter(([d, id]) => live.has(`${d}/${id}`))
            .map(([d, id]): [number, number] => [d, id])
            .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
          assert.deepEqual(drain(h), want);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('no reallocation once grown', () => {
    const h = new DeadlineHeap(8);
    for (let i = 0; i < 100; i++) h.push(instant(i), i);
    const cap = h.capacity;
    h.clear();
    for (let r = 0; r < 10; r++) {
      for (let i = 0; i < 100; i++) h.push(instant((i * 37) % 100), i);
      while (h.size) h.pop();
    }
    assert.equal(h.capacity, cap);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ETH_RX_PAD,
  FRAME_HEADROOM,
  FramePool,
  MTU_SLOT_SIZE,
  TSO_SLOT_SIZE,
} from '../../../src/core/storage/pool.js';

describe('FramePool', () => {
  test('fresh pool hands out ids in order, then -1 when exhausted', () => {
    const p = new FramePool(2048, 5, 2);
    assert.equal(p.capacity, 5);
    assert.equal(p.slotsPerSlab, 2);
    assert.equal(p.available, 5);
    assert.deepEqual([p.alloc(), p.alloc(), p.alloc(), p.alloc(), p.alloc()], [0, 1, 2, 3, 4]);
    assert.equal(p.inUse, 5);
    assert.equal(p.alloc(), -1);
    assert.equal(p.alloc(), -1);
    assert.equal(p.failures, 2);
    assert.equal(p.allocs, 5);
    assert.equal(p.available, 0);
  });

  test('free returns the slot; the most recently freed is reused first', () => {
    const p = new FramePool(256, 4);
    const a = p.alloc();
    const b = p.alloc();
    assert.ok(p.isAllocated(a));
    assert.ok(p.free(a));
    assert.ok(!p.isAllocated(a));
    assert.ok(p.free(b));
    assert.equal(p.alloc(), b);
    assert.equal(p.alloc(), a);
    assert.equal(p.frees, 2);
    assert.equal(p.inUse, 2);
    assert.equal(p.highWater, 2);
  });

  test('double free and bad ids are counted, not thrown', () => {
    const p = new FramePool(256, 3);
    const a = p.alloc();
    assert.ok(p.free(a));
    assert.ok(!p.free(a));
    assert.equal(p.doubleFrees, 1);
    assert.ok(!p.free(2)); // never allocated
    assert.equal(p.doubleFrees, 2);
    for (const bad of [-1, 3, 1.5, Number.NaN, 1e9]) assert.ok(!p.free(bad));
    assert.equal(p.badFrees, 5);
    assert.equal(p.inUse, 0);
    assert.equal(p.available, 3);
    assert.ok(!p.isAllocated(-1));
    assert.ok(!p.isAllocated(99));
  });

  test('slots are disjoint, 64-byte aligned and inside their slab', () => {
    const p = new FramePool(1500, 10, 4);
    assert.equal(p.slotSize, 1536);
    const slabs: Uint8Array[] = [];
    const seen = new Set<string>();
    for (let id = 0; id < 10; id++) {
      const buf = p.buffer(id);
      const off = p.offset(id);
      assert.equal(off % 64, 0);
      assert.ok(off + p.slotSize <= buf.length);
      assert.equal(p.payloadOffset(id), off + FRAME_HEADROOM);
      assert.equal(p.words32(id).buffer, buf.buffer);
      if (!slabs.includes(buf)) slabs.push(buf);
      seen.add(`${slabs.indexOf(buf)}:${off}`);
    }
    assert.equal(seen.size, 10);
    assert.equal(slabs.length, 3);
    // 10 slots at 4 per slab: slabs of 4, 4, 2.
    assert.equal(p.buffer(9).length, 2 * 1536);
    assert.notEqual(p.buffer(3), p.buffer(4));
    assert.equal(p.buffer(4), p.buffer(7));
  });

  test('prepended headers leave the IP header 4-byte aligned', () => {
    const p = FramePool.mtu(4);
    const id = p.alloc();
    for (const l4 of [8, 20, 32, 60]) {
      for (const ip of [20, 40]) {
        const ipStart = p.payloadOffset(id) - l4 - ip;
        assert.equal(ipStart % 4, 0);
        assert.ok(ipStart - 14 - 12 >= p.offset(id)); // Ethernet + virtio-net header still fit
      }
    }
    assert.equal((p.offset(id) + ETH_RX_PAD + 14) % 4, 0);
  });

  test('MTU and TSO presets', () => {
    const m = FramePool.mtu(1000);
    assert.equal(m.slotSize, MTU_SLOT_SIZE);
    assert.ok(m.slotSize - FRAME_HEADROOM >= 1500);
    assert.equal(m.slotsPerSlab, 512);
    const t = FramePool.tso(20);
    assert.equal(t.slotSize, TSO_SLOT_SIZE);
    assert.ok(t.slotSize - FRAME_HEADROOM >= 65535);
    assert.equal(t.slotsPerSlab, 16);
    const id = t.alloc();
    assert.ok(t.payloadOffset(id) + 65535 <= t.buffer(id).length);
  });

  test('bad configurations are rejected at construction', () => {
    assert.throws(() => new FramePool(64, 4), RangeError);
    assert.throws(() => new FramePool(2048, 0), RangeError);
    assert.throws(() => new FramePool(2048, 4, 0), RangeError);
    assert.throws(() => new FramePool(Number.NaN, 4), RangeError);
  });
});

describe('FramePool against a set model', () => {
  test('never hands out a slot twice, and slot contents never overlap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: -2, max: 14 })), { maxLength: 100 }),
        (cap, perSlab, ops) => {
          const p = new FramePool(192, cap, perSlab);
          const live = new Set<number>();
          let failures = 0;
          let doubles = 0;
          let bad = 0;
          for (const op of ops) {
            if (op === -1) {
              const id = p.alloc();
              if (live.size === cap) {
                assert.equal(id, -1);
                failures++;
              } else {
                assert.ok(id >= 0 && id < cap && !live.has(id));
                live.add(id);
                // Stamp the whole slot with its id; other live slots must keep theirs.
                p.buffer(id).fill(id + 1, p.offset(id), p.offset(id) + p.slotSize);
              }
            } else {
              const ok = live.has(op);
              assert.equal(p.free(op), ok);
              if (ok) live.delete(op);
              else if (op >= 0 && op < cap) doubles++;
              else bad++;
            }
            for (const id of live) {
              const b = p.buffer(id);
              assert.equal(b[p.offset(id)], id + 1);
              assert.equal(b[p.offset(id) + p.slotSize - 1], id + 1);
            }
            assert.equal(p.inUse, live.size);
            assert.equal(p.available, cap - live.size);
            assert.equal(p.failures, failures);
            assert.equal(p.doubleFrees, doubles);
            assert.equal(p.badFrees, bad);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

/**
 * `FramePool`: frame buffers carved out of a few large slabs, handed out by integer slot id.
 *
 * Each slab is one ArrayBuffer split into fixed-size slots, with one permanent `Uint8Array` view
 * (and one `Uint32Array` view for word-at-a-time checksums); a frame is (slab view, offset), never
 * a fresh array or a `subarray`. Free slots sit on an integer stack, so `alloc`/`free` are O(1),
 * allocate nothing and never throw: exhaustion returns -1 and is counted, and freeing a slot that
 * is not allocated (double free, bad id) is counted and refused.
 *
 * Slot layout: slots start at multiples of 64 bytes. Outgoing frames put their payload at
 * `FRAME_HEADROOM` past the slot start and prepend headers in front of it; because TCP/UDP headers
 * and IPv4/IPv6 headers are multiples of 4 bytes long, the IP header then starts 4-byte aligned
 * (and an Ethernet header in front of it at 2 mod 4). Incoming Ethernet frames are placed at
 * `ETH_RX_PAD` past the slot start for the same alignment; raw IP frames (TUN) at the slot start.
 */

/**
 * Room in front of the payload for prepended headers: virtio-net header (12) + Ethernet (14) +
 * IPv6 (40) + TCP with full options (60) = 126. The stack emits no IPv4 options, so IPv4 fits too.
 */
export const FRAME_HEADROOM = 128;
/** Offset of a received Ethernet frame within its slot so that its IP header is 4-byte aligned. */
export const ETH_RX_PAD = 2;
/** Slot size for frames up to a 1500-byte MTU (plus link headers and headroom). */
export const MTU_SLOT_SIZE = 2048;
/** Slot size for TSO/GSO super-frames: any IP packet (≤ 64 KiB) after the headroom. */
export const TSO_SLOT_SIZE = 65536 + FRAME_HEADROOM;

const SLOT_ALIGN = 64;
/** Largest slab allocated in one piece. */
const MAX_SLAB_BYTES = 1 << 30;

export class FramePool {
  readonly slotSize: number;
  readonly slotsPerSlab: number;
  readonly capacity: number;
  /** Slots handed out and not yet freed. */
  inUse = 0;
  /** Highest `inUse` seen. */
  highWater = 0;
  /** Successful `alloc` calls. */
  allocs = 0;
  /** `alloc` calls that found the pool exhausted. */
  failures = 0;
  /** Successful `free` calls. */
  frees = 0;
  /** `free` of a slot that was not allocated (double free). */
  doubleFrees = 0;
  /** `free` of an id that names no slot. */
  badFrees = 0;

  private readonly slabs: Uint8Array[];
  private readonly words: Uint32Array[];
  /** Stack of free slot ids; `freeList[0 .. freeTop)` are free. */
  private readonly freeList: Int32Array;
  private freeTop: number;
  /** 1 while a slot is allocated. */
  private readonly allocated: Uint8Array;

  /**
   * `slotSize` is rounded up to a multiple of 64; a slab holds `slotsPerSlab` slots (fewer if that
   * would exceed 1 GiB). Throws `RangeError` on a configuration that cannot hold one slot.
   */
  constructor(slotSize: number, totalSlots: number, slotsPerSlab = 512) {
    if (!(slotSize >= FRAME_HEADROOM + 1) || !(totalSlots >= 1) || !(slotsPerSlab >= 1)) {
      throw new RangeError('FramePool: slot size must exceed the headroom and counts must be positive');
    }
    const size = Math.ceil(slotSize / SLOT_ALIGN) * SLOT_ALIGN;
    const total = Math.floor(totalSlots);
    let per = Math.min(Math.floor(slotsPerSlab), total, Math.floor(MAX_SLAB_BYTES / size));
    if (per < 1) per = 1;
    this.slotSize = size;
    this.slotsPerSlab = per;
    this.capacity = total;
    this.slabs = [];
    this.words = [];
    for (let made = 0; made < total; made += per) {
      const n = Math.min(per, total - made);
      const ab = new ArrayBuffer(n * size);
      this.slabs.push(new Uint8Array(ab));
      this.words.push(new Uint32Array(ab));
    }
    this.freeList = new Int32Array(total);
    // Lowest ids on top of the stack: a fresh pool hands out 0, 1, 2, ...
    for (let i = 0; i < total; i++) this.freeList[i] = total - 1 - i;
    this.freeTop = total;
    this.allocated = new Uint8Array(total);
  }

  /** Pool of `count` MTU-sized slots. */
  static mtu(count: number): FramePool {
    return new FramePool(MTU_SLOT_SIZE, count, 512);
  }

  /** Pool of `count` TSO-sized slots (16 per slab, about 1 MiB). */
  static tso(count: number): FramePool {
    return new FramePool(TSO_SLOT_SIZE, count, 16);
  }

  get available(): number {
    return this.freeTop;
  }

  /** A free slot id, or -1 when the pool is exhausted (counted in `failures`). */
  alloc(): number {
    if (this.freeTop === 0) {
      this.failures++;
      return -1;
    }
    const id = this.freeList[--this.freeTop]!;
    this.allocated[id] = 1;
    this.allocs++;
    if (++this.inUse > this.highWater) this.highWater = this.inUse;
    return id;
  }

  /** Return a slot. Returns false, counting it, when `id` is not an allocated slot. */
  free(id: number): boolean {
    if (!(id >= 0 && id < this.capacity) || id !== Math.floor(id)) {
      this.badFrees++;
      return false;
    }
    if (this.allocated[id] === 0) {
      this.doubleFrees++;
      return false;
    }
    this.allocated[id] = 0;
    this.freeList[this.freeTop++] = id;
    this.frees++;
    this.inUse--;
    return true;
  }

  isAllocated(id: number): boolean {
    return id >= 0 && id < this.capacity && this.allocated[id] === 1;
  }

  /** The permanent view of the slab holding slot `id` (valid ids only). */
  buffer(id: number): Uint8Array {
    return this.slabs[(id / this.slotsPerSlab) | 0]!;
  }

  /** The slab as 32-bit words (`offset(id)` is a multiple of 4, so word index = byte offset / 4). */
  words32(id: number): Uint32Array {
    return this.words[(id / this.slotsPerSlab) | 0]!;
  }

  /** Byte offset of slot `id`'s first byte within `buffer(id)`. */
  offset(id: number): number {
    return (id % this.slotsPerSlab) * this.slotSize;
  }

  /** Offset within `buffer(id)` where an outgoing frame's payload starts (`offset(id) + FRAME_HEADROOM`). */
  payloadOffset(id: number): number {
    return (id % this.slotsPerSlab) * this.slotSize + FRAME_HEADROOM;
  }
}

/** Data structures the TCP engine keeps its data in: byte rings, out-of-order ranges, frame slabs. */
export { Assembler, DEFAULT_MAX_RANGES } from './assembler.js';
export {
  ETH_RX_PAD,
  FRAME_HEADROOM,
  FramePool,
  MTU_SLOT_SIZE,
  TSO_SLOT_SIZE,
} from './pool.js';
export { ByteRing, RingSlices } from './ring.js';

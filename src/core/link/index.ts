/** Links: the contract between a stack and what carries its frames, a memory cable, and middleware. */
export type { CableDirection, CableOptions } from './cable.js';
export { CableEnd, MemoryCable } from './cable.js';
export type { Endpoint, Pollable } from './endpoint.js';
export type { FaultOptions, FaultSettings } from './fault.js';
export { FaultCounters, FaultInjector } from './fault.js';
export type { Link, LinkCapabilities, Medium } from './link.js';
export { capabilities, ETH_HEADER_LEN, Frame, LinkStats, maxFrameLen } from './link.js';
export { FrameQueue, serializationUs } from './queue.js';
export type { FrameFormatter, LineSink, TapDirection } from './tap.js';
export { hexSummary, PcapTap, pcapLinkType, Tracer } from './tap.js';

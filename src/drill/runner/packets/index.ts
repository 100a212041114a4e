/**
 * The packet half of the drill runner: building inbound frames from script packets and matching
 * the stack's outbound frames against script packets (LANGUAGE.md §6), as pure values.
 */

export { buildInbound, buildScriptFrame, type BuildResult, scriptFlags } from './build.js';
export { ConnState, DEFAULT_PACKET_CONFIG, type PacketConfig, packetConfig } from './conn.js';
export { icmpCode, icmpType } from './icmp-names.js';
export { type DecodedFrame, decodeFrame, type LiveFrame } from './live.js';
export { encodeOptions, hexBytes } from './options.js';
export { type Expectation, type MatchResult, OutboundMatcher } from './outbound.js';
export {
  type ExpectedTime,
  resolveTime,
  SNIFF_SLACK_US,
  sniffTimeoutUs,
  toleranceUs,
  verifyTime,
} from './timing.js';

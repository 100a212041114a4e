/**
 * Format detection: `openCapture(bytes)` returns a pcap or pcapng reader by the first four bytes;
 * `readCapture(bytes)` collects every record (for tests and small files).
 */
import type { DropReason } from '../wire/drop.js';
import { type PcapRecord, rd32 } from './common.js';
import { PcapReader } from './pcap.js';
import { BLOCK_SHB, PcapngReader } from './pcapng.js';

export type CaptureReader = PcapReader | PcapngReader;

/** A reader for either format; anything that is not pcapng goes to the pcap reader, which reports a bad magic. */
export function openCapture(bytes: Uint8Array): CaptureReader {
  if (bytes.length >= 4 && rd32(bytes, 0, true) === BLOCK_SHB) return new PcapngReader(bytes);
  return new PcapReader(bytes);
}

export interface CaptureContents {
  format: 'pcap' | 'pcapng';
  /** Copies of the records (their bytes still point into the input). */
  records: PcapRecord[];
  /** `DropReason.Ok` when the whole input parsed; otherwise why it stopped, after `records`. */
  error: DropReason;
  errorOffset: number;
}

export function readCapture(bytes: Uint8Array): CaptureContents {
  const rd = openCapture(bytes);
  const records: PcapRecord[] = [];
  while (rd.next()) records.push(rd.record.copy());
  return { format: rd.format, records, error: rd.error, errorOffset: rd.errorOffset };
}

/**
 * The coordinator's carried state as deflated JSON bytes. At 10,000 stacks the JSON is over
 * 1 MB, past the SDK's 512 KB payload warning and close to Temporal's 2 MB limit; deflated it
 * is about a seventh of that. Pure JavaScript (fflate), so workflow code can use it:
 * deterministic, no Node built-ins.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';

export function packSnapshot(value: unknown): Uint8Array {
  return deflateSync(strToU8(JSON.stringify(value)), { level: 6 });
}

export function unpackSnapshot(bytes: Uint8Array): unknown {
  return JSON.parse(strFromU8(inflateSync(bytes)));
}

/**
 * Command registry: one line per command. Each command lives in its own file under commands/.
 * Loaded lazily so `quell check` does not pay for the NFQUEUE addon, and so on.
 */
import type { Command } from './command';

export const COMMANDS: Record<string, () => Command> = {
  // decode: L2-L4 decode of a capture, one JSON line per packet (issue: foundation)
  decode: () => require('./commands/decode').command,
};

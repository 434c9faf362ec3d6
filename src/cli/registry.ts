/**
 * Command registry: one line per command. Each command lives in its own file under commands/.
 * Loaded lazily so `quell check` does not pay for the NFQUEUE addon, and so on.
 */
import type { Command } from './command';

export const COMMANDS: Record<string, () => Command> = {
  // decode: L2-L4 decode of a capture, one JSON line per packet (issue: foundation)
  decode: () => require('./commands/decode').command,
  // flows: one JSON line per flow with app/HTTP/DNS summaries (issue 3)
  flows: () => require('./commands/flows').command,
  // replay: capture -> engine -> EVE JSON (flow, http, dns, stats) (issue 3)
  replay: () => require('./commands/replay').command,
  // run: inline IPS on NFQUEUE, worker per queue, SIGHUP reload (issue 5)
  run: () => require('./commands/run').command,
  // iptables: print / install / remove the recommended NFQUEUE rules (issue 5)
  iptables: () => require('./commands/iptables').command,
  // ctl: control a running quell through its API: sets, bans, rules, reload, stats (issue 6)
  ctl: () => require('./commands/ctl').command,
  // check: compile signature files, rustc-style diagnostics, --list-keywords (issue 4)
  check: () => require('./commands/check').command,
  // scan: match rules against files like the yara program (issue 4)
  scan: () => require('./commands/scan').command,
  // test: replay cases (capture + rules + expected EVE events), suricata-verify style (issue 4)
  test: () => require('./commands/test').command,
};

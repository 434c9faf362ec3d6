/**
 * Time conditions: `time.hour` (0..23) and `time.weekday` (0 = Sunday .. 6 = Saturday) in a
 * configured IANA time zone, for office-hours rules.
 *
 * Intl.DateTimeFormat knows the zone rules (DST included) but allocates on every call, so the
 * result is cached per second of the clock passed in: a packet costs one division and one compare;
 * formatToParts runs at most once per second (and once more when the clock steps back).
 */
import { OpsConfigError } from './errors';

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export class TimeOfDay {
  private readonly fmt: Intl.DateTimeFormat;
  private cachedSec = NaN;
  private h = 0;
  private wd = 0;
  private min = 0;
  /** formatToParts calls made (stats; bounded by seconds elapsed). */
  computes = 0;

  /** `zone`: IANA name ("Europe/Paris", "UTC"). Throws OpsConfigError when unknown. */
  constructor(readonly zone: string = 'UTC') {
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: '2-digit', minute: '2-digit', weekday: 'short', hourCycle: 'h23' });
    } catch {
      throw new OpsConfigError(`unknown time zone ${JSON.stringify(zone)} (expected an IANA name such as "Europe/Paris")`);
    }
  }

  private update(ms: number): void {
    const sec = Math.floor(ms / 1000);
    if (sec === this.cachedSec) return;
    this.cachedSec = sec;
    this.computes++;
    for (const p of this.fmt.formatToParts(sec * 1000)) {
      if (p.type === 'hour') this.h = Number(p.value) % 24;
      else if (p.type === 'minute') this.min = Number(p.value);
      else if (p.type === 'weekday') this.wd = WEEKDAYS[p.value] ?? 0;
    }
  }

  /** Hour 0..23 in the zone at `ms` (ms since epoch). */
  hour(ms: number): number { this.update(ms); return this.h; }
  /** Weekday 0 (Sunday) .. 6 (Saturday) in the zone. */
  weekday(ms: number): number { this.update(ms); return this.wd; }
  /** Minute 0..59 in the zone. */
  minute(ms: number): number { this.update(ms); return this.min; }
}

/**
 * Zone of WorkerOps created without an explicit `timeZone` in this thread (quell replay
 * --time-zone: the detector builds its own WorkerOps; replay workers call this from their
 * workerData before building their engine). Validated here: unknown zones throw OpsConfigError.
 */
let defaultZone = 'UTC';
export function setDefaultTimeZone(zone: string): void { new TimeOfDay(zone); defaultZone = zone; }
export function defaultTimeZone(): string { return defaultZone; }

/**
 * Change windows: when the cascade may trigger runs. `CASCADE_CHANGE_WINDOWS` holds for every
 * stack (e.g. `Mon-Fri 09:00-17:00 Europe/Berlin; Sat 10:00-12:00 UTC`); a stack labelled
 * `cascade:window:<name>` follows `CASCADE_CHANGE_WINDOWS_<NAME>` instead. Parsed when the
 * configuration is read (a bad part is a clear error naming it); their edges are computed here,
 * in UTC, outside the workflow (by the `changeWindowEdges` activity), with the time zone database
 * of Node's Intl, so no decision of the coordinator depends on one.
 */
import type { ChangeWindows, WindowInterval, WindowPart, WindowSchedule } from '../cascade-contract.js';
import { windowsKey } from '../estate/operator-controls.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MINUTES_PER_DAY = 24 * 60;
const DAY_MS = 86_400_000;

/** The window name of a `CASCADE_CHANGE_WINDOWS_<NAME>` variable (lower case, `_` as `-`), or null. */
function windowNameOf(variable: string): string | null {
  const match = /^CASCADE_CHANGE_WINDOWS_([A-Z0-9_]+)$/.exec(variable);
  return match ? match[1]!.toLowerCase().replace(/_/g, '-') : null;
}

/**
 * Parses `Mon-Fri 09:00-17:00 Europe/Berlin; Sat 10:00-12:00 UTC`: parts separated by `;`, each
 * days (`Mon-Fri`, `Sat`, `Mon,Wed`, `daily`), a time span (`22:00-02:00` crosses midnight,
 * `24:00` ends the day) and an IANA time zone. Returns the parts, or the problems, each naming
 * the variable and the part.
 */
export function parseWindows(
  variable: string,
  text: string,
): { parts: WindowPart[] } | { problems: string[] } {
  const parts: WindowPart[] = [];
  const problems: string[] = [];
  const pieces = text.split(';').map((p) => p.trim());
  pieces.forEach((piece, i) => {
    const where = `${variable}: part ${i + 1} "${piece}"`;
    if (piece === '') {
      if (pieces.length > 1) problems.push(`${where}: empty (remove the extra ";")`);
      return;
    }
    const words = piece.split(/\s+/);
    if (words.length !== 3) {
      problems.push(`${where}: write days, hours and a time zone, e.g. "Mon-Fri 09:00-17:00 Europe/Berlin"`);
      return;
    }
    const [dayText, spanText, zone] = words as [string, string, string];
    const days = parseDays(dayText);
    const span = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(spanText);
    const start = span ? minutes(span[1]!, span[2]!) : null;
    const end = span ? minutes(span[3]!, span[4]!) : null;
    if (days === null)
      problems.push(`${where}: "${dayText}" is not days like Mon-Fri, Sat, Mon,Wed or daily`);
    else if (start === null || end === null || start >= MINUTES_PER_DAY)
      problems.push(`${where}: "${spanText}" is not hours like 09:00-17:00 (00:00 to 24:00)`);
    else if (start === end) problems.push(`${where}: "${spanText}" opens and closes at the same time`);
    else if (!isTimeZone(zone))
      problems.push(`${where}: "${zone}" is not a time zone (use an IANA name like Europe/Berlin, or UTC)`);
    else parts.push({ days, start, end, zone, text: piece });
  });
  if (problems.length === 0 && parts.length === 0) problems.push(`${variable}: no window in it`);
  return problems.length > 0 ? { problems } : { parts };
}

/** Reads every change window variable of `env`; problems name the variable and the part. */
export function readChangeWindows(
  env: Record<string, string | undefined>,
): { windows: ChangeWindows | null } | { problems: string[] } {
  const problems: string[] = [];
  let estate: WindowPart[] | null = null;
  const named: Record<string, WindowPart[]> = {};
  for (const [variable, value] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (value === undefined || value.trim() === '') continue;
    const name = variable === 'CASCADE_CHANGE_WINDOWS' ? '' : windowNameOf(variable);
    if (name === null) continue;
    const parsed = parseWindows(variable, value);
    if ('problems' in parsed) problems.push(...parsed.problems);
    else if (name === '') estate = parsed.parts;
    else named[name] = parsed.parts;
  }
  if (problems.length > 0) return { problems };
  return { windows: estate === null && Object.keys(named).length === 0 ? null : { estate, named } };
}

/**
 * The open intervals of every window (`''`: the estate's) from a day before `from` to `days`
 * after it, in UTC ms, merged and in order; each says when it opens in its own zone.
 */
export function windowSchedule(windows: ChangeWindows, from: number, days: number): WindowSchedule {
  const all: Array<[string, WindowPart[]]> = [
    ...(windows.estate ? [['', windows.estate] as [string, WindowPart[]]] : []),
    ...Object.entries(windows.named),
  ];
  const out: Record<string, WindowInterval[]> = {};
  for (const [name, parts] of all) {
    const intervals = parts.flatMap((part) => partIntervals(part, from - DAY_MS, days + 2));
    out[name] = merge(intervals.filter((w) => w.end > from - DAY_MS));
  }
  return { key: windowsKey(windows), computedAt: from, horizon: from + days * DAY_MS, windows: out };
}

function parseDays(text: string): number[] | null {
  if (text.toLowerCase() === 'daily') return [0, 1, 2, 3, 4, 5, 6];
  const days = new Set<number>();
  for (const item of text.split(',')) {
    const [a, b, extra] = item.split('-');
    const from = dayIndex(a);
    const to = b === undefined ? from : dayIndex(b);
    if (from === null || to === null || extra !== undefined) return null;
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}

function dayIndex(text: string | undefined): number | null {
  const i = DAYS.findIndex((d) => d.toLowerCase() === text?.trim().toLowerCase());
  return i < 0 ? null : i;
}

function minutes(h: string, m: string): number | null {
  const [hours, mins] = [Number(h), Number(m)];
  if (mins > 59 || hours > 24 || (hours === 24 && mins > 0)) return null;
  return hours * 60 + mins;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The part's open intervals on `days` local days from the local day of `from`. */
function partIntervals(part: WindowPart, from: number, days: number): WindowInterval[] {
  const first = localDate(from, part.zone);
  const out: WindowInterval[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(Date.UTC(first.year, first.month - 1, first.day + i));
    if (!part.days.includes(day.getUTCDay())) continue;
    const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const start = zonedToUtc(y, m, d, part.start, part.zone);
    // Closing at or before it opened: the window crosses midnight into the next day.
    const end = zonedToUtc(y, m, d + (part.end <= part.start ? 1 : 0), part.end, part.zone);
    const hm = `${String(Math.floor(part.start / 60)).padStart(2, '0')}:${String(part.start % 60).padStart(2, '0')}`;
    out.push({ start, end, opens: `${DAYS[day.getUTCDay()]} ${hm} (${part.zone})` });
  }
  return out;
}

/** Overlapping or touching intervals as one; in order. */
function merge(intervals: WindowInterval[]): WindowInterval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: WindowInterval[] = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else out.push({ ...w });
  }
  return out;
}

/** The local calendar date of an instant in a zone. */
function localDate(at: number, zone: string): { year: number; month: number; day: number } {
  const p = zoneParts(at, zone);
  return { year: p.year, month: p.month, day: p.day };
}

/** The UTC instant of local date `y-m-d` at `minutesOfDay` in `zone` (a local time a DST gap skips moves on). */
function zonedToUtc(y: number, m: number, d: number, minutesOfDay: number, zone: string): number {
  const wall = Date.UTC(y, m - 1, d, 0, minutesOfDay);
  // The offset at the wall time read as UTC, then corrected once for a DST change in between.
  let guess = wall - offsetAt(wall, zone);
  guess = wall - offsetAt(guess, zone);
  return guess;
}

/** The zone's offset from UTC (ms) at an instant. */
function offsetAt(at: number, zone: string): number {
  const p = zoneParts(at, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(at / 1000) * 1000;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function zoneParts(at: number, zone: string) {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

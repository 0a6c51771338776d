import { describe, expect, it } from 'vitest';
import { parseWindows, readChangeWindows, windowSchedule } from '../../src/config/change-windows.js';
import { loadServiceConfig, ConfigError } from '../../src/config/service-config.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('change windows: parsing', () => {
  it('reads days, hours and a time zone per part', () => {
    expect(
      parseWindows('CASCADE_CHANGE_WINDOWS', 'Mon-Fri 09:00-17:00 Europe/Berlin; Sat 10:00-12:00 UTC'),
    ).toEqual({
      parts: [
        {
          days: [1, 2, 3, 4, 5],
          start: 540,
          end: 1020,
          zone: 'Europe/Berlin',
          text: 'Mon-Fri 09:00-17:00 Europe/Berlin',
        },
        { days: [6], start: 600, end: 720, zone: 'UTC', text: 'Sat 10:00-12:00 UTC' },
      ],
    });
    expect(parseWindows('X', 'Fri-Mon 22:00-24:00 UTC')).toMatchObject({
      parts: [{ days: [0, 1, 5, 6], end: 1440 }],
    });
    expect(parseWindows('X', 'Mon,Wed daily-no 1:00-2:00 UTC')).toMatchObject({
      problems: [expect.any(String)],
    });
  });

  it('names the variable and the part of each problem', () => {
    const bad = parseWindows(
      'CASCADE_CHANGE_WINDOWS',
      'Mon-Fri 9-17 Europe/Berlin; Funday 09:00-17:00 UTC; Sat 10:00-12:00 Mars/Olympus; ; Sun 10:00-10:00 UTC',
    );
    expect(bad).toEqual({
      problems: [
        'CASCADE_CHANGE_WINDOWS: part 1 "Mon-Fri 9-17 Europe/Berlin": "9-17" is not hours like 09:00-17:00 (00:00 to 24:00)',
        'CASCADE_CHANGE_WINDOWS: part 2 "Funday 09:00-17:00 UTC": "Funday" is not days like Mon-Fri, Sat, Mon,Wed or daily',
        'CASCADE_CHANGE_WINDOWS: part 3 "Sat 10:00-12:00 Mars/Olympus": "Mars/Olympus" is not a time zone (use an IANA name like Europe/Berlin, or UTC)',
        'CASCADE_CHANGE_WINDOWS: part 4 "": empty (remove the extra ";")',
        'CASCADE_CHANGE_WINDOWS: part 5 "Sun 10:00-10:00 UTC": "10:00-10:00" opens and closes at the same time',
      ],
    });
  });

  it('reads the estate window and the named ones; a bad setting is a configuration error at start', () => {
    expect(
      readChangeWindows({
        CASCADE_CHANGE_WINDOWS: 'daily 00:00-24:00 UTC',
        CASCADE_CHANGE_WINDOWS_BUSINESS_HOURS: 'Mon-Fri 09:00-17:00 America/New_York',
      }),
    ).toMatchObject({
      windows: {
        estate: [{ days: [0, 1, 2, 3, 4, 5, 6] }],
        named: { 'business-hours': [{ zone: 'America/New_York' }] },
      },
    });
    expect(readChangeWindows({})).toEqual({ windows: null });
    const load = () =>
      loadServiceConfig(
        { CASCADE_CHANGE_WINDOWS_NIGHT: 'Mon 22:00-02:00 Nowhere/Land' },
        { requireWebhookSecret: false },
      );
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'CASCADE_CHANGE_WINDOWS_NIGHT: part 1 "Mon 22:00-02:00 Nowhere/Land": "Nowhere/Land" is not a time zone',
    );
    const config = loadServiceConfig(
      { CASCADE_CHANGE_WINDOWS: 'Sat 10:00-12:00 UTC' },
      { requireWebhookSecret: false },
    );
    expect(config.cascade.changeWindows).toMatchObject({ estate: [{ days: [6] }], named: {} });
  });
});

describe('change windows: edges in UTC', () => {
  it('follows the time zone across a change of daylight saving time', () => {
    // Monday 23 March 2026, before Europe/Berlin moves to summer time on Sunday 29 March.
    const from = Date.UTC(2026, 2, 23, 6, 0);
    const { windows } = readChangeWindows({ CASCADE_CHANGE_WINDOWS: 'Mon 09:00-17:00 Europe/Berlin' }) as {
      windows: NonNullable<Parameters<typeof windowSchedule>[0]>;
    };
    const schedule = windowSchedule(windows, from, 14);
    expect(schedule.windows['']!.map((w) => [iso(w.start), iso(w.end), w.opens])).toEqual([
      ['2026-03-23T08:00:00.000Z', '2026-03-23T16:00:00.000Z', 'Mon 09:00 (Europe/Berlin)'],
      ['2026-03-30T07:00:00.000Z', '2026-03-30T15:00:00.000Z', 'Mon 09:00 (Europe/Berlin)'],
      ['2026-04-06T07:00:00.000Z', '2026-04-06T15:00:00.000Z', 'Mon 09:00 (Europe/Berlin)'],
    ]);
    expect(schedule.horizon).toBe(from + 14 * 86_400_000);
  });

  it('crosses midnight, and merges parts that touch', () => {
    const { windows } = readChangeWindows({
      CASCADE_CHANGE_WINDOWS: 'Sat 22:00-02:00 UTC; Sun 02:00-03:00 UTC',
    }) as { windows: NonNullable<Parameters<typeof windowSchedule>[0]> };
    const saturday = Date.UTC(2026, 4, 2, 12, 0);
    const [first] = windowSchedule(windows, saturday, 7).windows['']!;
    expect([iso(first!.start), iso(first!.end), first!.opens]).toEqual([
      '2026-05-02T22:00:00.000Z',
      '2026-05-03T03:00:00.000Z',
      'Sat 22:00 (UTC)',
    ]);
  });
});

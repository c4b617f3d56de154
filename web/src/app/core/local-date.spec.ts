import { formatIsoDate, fromIsoDate, localToday, toIsoDate } from './local-date';

describe('local dates', () => {
  it("today is the local calendar day, not UTC's", () => {
    // 23:30 local on New Year's Eve: UTC may already be in the next year; the person is not.
    expect(localToday(new Date(2026, 11, 31, 23, 30))).toBe('2026-12-31');
    expect(localToday(new Date(2027, 0, 1, 0, 5))).toBe('2027-01-01');
  });

  it('reads and writes YYYY-MM-DD as local midnight', () => {
    const date = fromIsoDate('2026-03-09');
    expect([date.getFullYear(), date.getMonth(), date.getDate(), date.getHours()]).toEqual([2026, 2, 9, 0]);
    expect(toIsoDate(date)).toBe('2026-03-09');
  });

  it("writes a day the locale's way", () => {
    expect(formatIsoDate('2026-12-24', new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium' }))).toBe('24.12.2026');
    expect(formatIsoDate('2026-12-24', new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' }))).toBe('Dec 24, 2026');
  });
});

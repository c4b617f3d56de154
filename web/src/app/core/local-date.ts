/**
 * Calendar dates as the API writes them (`YYYY-MM-DD`, no time zone), read and written in
 * the person's own time zone: "today" is their today, not UTC's.
 */

/** `date`'s calendar day where the person is, as `YYYY-MM-DD`. */
export function toIsoDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The person's local today, as `YYYY-MM-DD`. */
export function localToday(now: Date = new Date()): string {
  return toIsoDate(now);
}

/** Midnight, local time, of a `YYYY-MM-DD` day. */
export function fromIsoDate(isoDate: string): Date {
  const [year, month, day] = isoDate.split('-').map(Number);
  return new Date(year, month - 1, day);
}

const MEDIUM = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** A `YYYY-MM-DD` day written the person's way (their browser's locale). */
export function formatIsoDate(isoDate: string, format: Intl.DateTimeFormat = MEDIUM): string {
  return format.format(fromIsoDate(isoDate));
}

const DATE_AND_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An RFC 3339 timestamp written the person's way, in their time zone. */
export function formatInstant(timestamp: string): string {
  return DATE_AND_TIME.format(new Date(timestamp));
}

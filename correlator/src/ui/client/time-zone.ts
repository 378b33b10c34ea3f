// The one time zone the page shows times in, local or UTC (the user's switch), and clock/date text in it. Pure:
// local means the browser's zone, read through Date, so tests set TZ.

export type TimeZoneMode = 'local' | 'utc';

/** The wall-clock fields of an instant in the chosen zone. */
interface ClockFields {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  millis: number;
}

function fieldsOf(ms: number, zone: TimeZoneMode): ClockFields {
  const d = new Date(ms);
  return zone === 'utc'
    ? {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hours: d.getUTCHours(),
        minutes: d.getUTCMinutes(),
        seconds: d.getUTCSeconds(),
        millis: d.getUTCMilliseconds(),
      }
    : {
        year: d.getFullYear(),
        month: d.getMonth() + 1,
        day: d.getDate(),
        hours: d.getHours(),
        minutes: d.getMinutes(),
        seconds: d.getSeconds(),
        millis: d.getMilliseconds(),
      };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** YYYY-MM-DD of an instant in the zone. */
export function formatDate(ms: number, zone: TimeZoneMode): string {
  const f = fieldsOf(ms, zone);
  return `${f.year}-${pad(f.month)}-${pad(f.day)}`;
}

/** HH:MM:SS (with .mmm when asked) of an instant in the zone. */
export function formatClock(ms: number, zone: TimeZoneMode, withMillis = false): string {
  const f = fieldsOf(ms, zone);
  const clock = `${pad(f.hours)}:${pad(f.minutes)}:${pad(f.seconds)}`;
  return withMillis ? `${clock}.${pad(f.millis, 3)}` : clock;
}

/** Minutes to add to UTC for the zone's wall clock at that instant. */
export function offsetMinutes(ms: number, zone: TimeZoneMode): number {
  return zone === 'utc' ? 0 : -new Date(ms).getTimezoneOffset();
}

/** "UTC" or "UTC+05:30": the zone's offset at that instant, as the axis title and the tooltips show it. */
export function zoneOffsetLabel(ms: number, zone: TimeZoneMode): string {
  const minutes = offsetMinutes(ms, zone);
  if (minutes === 0 && zone === 'utc') return 'UTC';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The zone as a reader needs it named: "UTC", or the browser's zone and its offset ("Asia/Kolkata, UTC+05:30"). */
export function zoneName(ms: number, zone: TimeZoneMode): string {
  const local = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // a machine set to UTC: "UTC, UTC+00:00" says the same twice
  if (zone === 'utc' || /^(Etc\/)?(UTC|UCT|GMT|Zulu)$/.test(local)) return 'UTC';
  return `${local}, ${zoneOffsetLabel(ms, 'local')}`;
}

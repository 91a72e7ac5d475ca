// Times as the bot shows them: in its TIMEZONE (from the sandbox server), not the browser's
// zone; and as Slack labels a message: the time today, the weekday and time within the past
// week, the date before that. Pure functions of (date, now, zone), and the zone in use.

let current = '';  // the bot's TIMEZONE, as the last /api/state said it

export function setZone(zone) { current = String(zone || ''); }
export function zone() { return current; }

const formats = new Map();

/** An Intl.DateTimeFormat in `tz` (an unknown or empty zone: the browser's). */
function format(tz, options) {
  const key = `${tz}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-GB', tz ? {...options, timeZone: tz} : options);
    } catch (_) {  // RangeError: not a zone this browser knows
      f = new Intl.DateTimeFormat('en-GB', options);
    }
    formats.set(key, f);
  }
  return f;
}

const FIELDS = {year: 'numeric', month: 'short', day: 'numeric', weekday: 'short',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'};

/** The wall clock in `tz` at `d`: {year, month, day, weekday, hour, minute, second} strings. */
export function wall(d, tz) {
  const out = {};
  for (const p of format(tz, FIELDS).formatToParts(d)) if (p.type !== 'literal') out[p.type] = p.value;
  return out;
}

/** The day of `d` in `tz`, as a day number (days since 1970-01-01 there). */
export function dayNumber(d, tz) {
  const p = {};
  for (const x of format(tz, {year: 'numeric', month: 'numeric', day: 'numeric'}).formatToParts(d)) p[x.type] = x.value;
  return Math.round(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)) / 86400000);
}

/** "14:05" (or "14:05:09") at `d` in `tz`. */
export function timeOfDay(d, tz, seconds) {
  const w = wall(d, tz);
  return seconds ? `${w.hour}:${w.minute}:${w.second}` : `${w.hour}:${w.minute}`;
}

/**
 * A message's time as Slack labels it, in `tz`: "14:05" today, "Mon 14:05" within the past
 * six days, "16 Nov 14:05" before that this year, "16 Nov 2025 14:05" in another year (and a
 * date for a time after today).
 */
export function stamp(d, now, tz, seconds) {
  const time = timeOfDay(d, tz, seconds);
  const days = dayNumber(now, tz) - dayNumber(d, tz);
  if (days === 0) return time;
  const w = wall(d, tz);
  if (days > 0 && days < 7) return `${w.weekday} ${time}`;
  const year = w.year === wall(now, tz).year ? '' : ` ${w.year}`;
  return `${w.day} ${w.month}${year} ${time}`;
}

/** The whole date and time, with the zone's name: a tooltip. */
export function longStamp(d, tz) {
  return format(tz, {weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit',
    minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short'}).format(d);
}

// Pure logic behind <ivs-viewer-count>: payload validation, trend, number formatting, chart
// geometry and the texts the element shows. Nothing here touches the DOM, so Node tests import
// this module directly.
//
// Payload contract, version 1. The poller sends one compact JSON object as IVS timed metadata:
//   {"type":"viewerCount","version":1,"time":1764860400,"interval":60,"counts":[12,15,null,18,20]}
// `time` is the Unix time in seconds (UTC) of the newest sample, `interval` the seconds between
// samples, and `counts` the samples oldest first, with null where no sample exists.

export const PAYLOAD_TYPE = "viewerCount";
export const PAYLOAD_VERSION = 1;

/** Maximum size of a cue text in UTF-8 bytes (the contract's limit). */
export const MAX_CUE_BYTES = 1024;

/** Maximum number of samples in a window (the stack's maximum windowMinutes). */
export const MAX_WINDOW_LENGTH = 60;

/** Maximum viewer count. The poller clamps to it so that 60 samples fit in 1,024 bytes. */
export const MAX_COUNT = 999_999_999_999;

/** Maximum sample interval in seconds. The poller sends 60, and local runs may send less. */
export const MAX_INTERVAL_SECONDS = 3600;

const PAYLOAD_KEYS = ["type", "version", "time", "interval", "counts"];

/**
 * Parses and validates one cue text. Returns `{ok: true, payload}` with a frozen copy of the
 * payload, or `{ok: false, code, reason}` where `code` is "other-type" for metadata meant for
 * another feature, "unsupported-version", or "invalid".
 *
 * The text must be at most `maxBytes` UTF-8 bytes and valid for JSON.parse, which rejects a
 * leading byte-order mark, NaN, Infinity, comments and trailing text. The parsed value is then
 * checked by `validatePayload`. JSON.parse keeps the last of duplicate keys, so duplicates go
 * undetected.
 */
export function parseCue(text, { maxBytes = MAX_CUE_BYTES } = {}) {
  if (typeof text !== "string") {
    return invalid(`cue text must be a string, got ${describeType(text)}`);
  }

  // UTF-8 needs at least one byte per UTF-16 code unit, so this check spares encoding huge text.
  if (text.length > maxBytes || utf8Length(text) > maxBytes) {
    return invalid(`cue text is longer than ${maxBytes} bytes`);
  }

  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalid(`cue text is not valid JSON (${error.message})`);
  }
  return validatePayload(value);
}

/**
 * Validates a parsed payload and returns the same result shape as `parseCue`.
 *
 * The object must be a plain object with exactly the keys type, version, time, interval and
 * counts. Extra keys make the payload invalid: the contract is versioned, so a new field comes
 * with a new version, and a strict reader exposes producer bugs and rejects `__proto__` keys.
 * `time` is a non-negative safe integer, `interval` an integer from 1 to 3600, and `counts` an
 * array of 1 to 60 entries, each null or an integer from 0 to MAX_COUNT. JSON.parse turns 12.0
 * and 1.2e1 into the integer 12, so those spellings are accepted.
 */
export function validatePayload(value) {
  if (!isPlainObject(value)) {
    return invalid(`payload must be a JSON object, got ${describeType(value)}`);
  }

  // Other features may send their own JSON objects on the same channel, so the type is checked
  // before the keys, which belong to this contract only.
  const { type, version, time, interval, counts } = value;
  if (type !== PAYLOAD_TYPE) {
    return { ok: false, code: "other-type", reason: `type is not "${PAYLOAD_TYPE}"` };
  }
  if (version !== PAYLOAD_VERSION) {
    const reason =
      `version ${describeValue(version)} is not supported, expected ${PAYLOAD_VERSION}`;
    return { ok: false, code: "unsupported-version", reason };
  }

  const keys = Object.keys(value);
  const extraKey = keys.find((key) => !PAYLOAD_KEYS.includes(key));
  if (extraKey !== undefined) {
    return invalid(`payload has the unknown key ${JSON.stringify(extraKey.slice(0, 40))}`);
  }
  for (const key of PAYLOAD_KEYS) {
    if (!keys.includes(key)) {
      return invalid(`payload has no "${key}"`);
    }
  }

  if (!Number.isSafeInteger(time) || time < 0) {
    const got = describeValue(time);
    return invalid(`time must be a non-negative integer of Unix seconds, got ${got}`);
  }
  if (!Number.isInteger(interval) || interval < 1 || interval > MAX_INTERVAL_SECONDS) {
    const range = `1 to ${MAX_INTERVAL_SECONDS}`;
    const got = describeValue(interval);
    return invalid(`interval must be an integer from ${range} seconds, got ${got}`);
  }

  const countsResult = copyCounts(counts);
  if (!countsResult.ok) {
    return countsResult;
  }

  const payload = { type, version, time, interval, counts: countsResult.counts };
  return { ok: true, payload: Object.freeze(payload) };
}

function copyCounts(counts) {
  if (!Array.isArray(counts)) {
    return invalid(`counts must be an array, got ${describeType(counts)}`);
  }
  if (counts.length < 1 || counts.length > MAX_WINDOW_LENGTH) {
    const range = `1 to ${MAX_WINDOW_LENGTH}`;
    return invalid(`counts must have ${range} entries, got ${counts.length}`);
  }

  const copy = [];
  for (let index = 0; index < counts.length; index += 1) {
    const count = counts[index];
    if (count !== null && !isValidCount(count)) {
      const expected = `null or an integer from 0 to ${MAX_COUNT}`;
      return invalid(`counts[${index}] must be ${expected}, got ${describeValue(count)}`);
    }
    copy.push(count === null ? null : count + 0); // + 0 turns -0 into 0
  }
  return { ok: true, counts: Object.freeze(copy) };
}

function isValidCount(count) {
  return Number.isInteger(count) && count >= 0 && count <= MAX_COUNT;
}

function isPlainObject(value) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return false;
  }
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function invalid(reason) {
  return { ok: false, code: "invalid", reason };
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

function describeType(value) {
  if (value === null) {
    return "null";
  }
  return Array.isArray(value) ? "an array" : typeof value;
}

function describeValue(value) {
  if (typeof value === "number") {
    return String(value);
  }
  if (typeof value === "string") {
    return `the string ${JSON.stringify(value.slice(0, 20))}`;
  }
  return describeType(value);
}

// Trend over the window. The rule compares the mean of the newest third of the samples (rounded
// down, so 1 of 5) with the mean of the oldest third, ignoring nulls. The trend is "rising" when the newer mean exceeds the
// older one by at least 10 % of the older mean and by at least 2 viewers, "falling" for the
// same drop, and "steady" otherwise. The 2-viewer floor keeps 2 -> 3 viewers from reading as a
// 50 % rise. With fewer than 3 samples, or a third without any sample, the trend is "unknown".

export const TREND_MIN_RELATIVE_CHANGE = 0.1;
export const TREND_MIN_ABSOLUTE_CHANGE = 2;

/** Returns "rising", "falling", "steady" or "unknown" for counts ordered oldest first. */
export function computeTrend(counts) {
  const thirdLength = Math.floor(counts.length / 3);
  if (thirdLength < 1) {
    return "unknown";
  }

  const oldMean = meanOfSamples(counts.slice(0, thirdLength));
  const newMean = meanOfSamples(counts.slice(counts.length - thirdLength));
  if (oldMean === null || newMean === null) {
    return "unknown";
  }

  const threshold = Math.max(TREND_MIN_ABSOLUTE_CHANGE, TREND_MIN_RELATIVE_CHANGE * oldMean);
  if (newMean - oldMean >= threshold) {
    return "rising";
  }
  if (oldMean - newMean >= threshold) {
    return "falling";
  }
  return "steady";
}

function meanOfSamples(counts) {
  const samples = counts.filter((count) => count !== null);
  if (samples.length === 0) {
    return null;
  }
  return samples.reduce((sum, count) => sum + count, 0) / samples.length;
}

// Number formatting. Counts below COMPACT_FROM are shown exactly, larger ones in compact
// notation with 3 significant digits (12,345 -> "12.3K" in en-US, "12.345" in de-DE). German
// CLDR data has no short form for thousands, so Intl (checked in Node 20) rounds to "12.300",
// which reads as an exact count. A compact result without a compact unit therefore falls back
// to the exact number.

export const COMPACT_FROM = 10_000;
export const FALLBACK_LOCALE = "en-US";

/** Formats a viewer count for display in `locale`, compact from COMPACT_FROM upwards. */
export function formatCount(count, locale) {
  const exact = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  if (count < COMPACT_FROM) {
    return exact.format(count);
  }

  const compact = new Intl.NumberFormat(locale, {
    notation: "compact",
    maximumSignificantDigits: 3,
  });
  const parts = compact.formatToParts(count);
  if (!parts.some((part) => part.type === "compact")) {
    return exact.format(count);
  }
  return parts.map((part) => part.value).join("");
}

/** Formats a count exactly, with the locale's grouping separators (for text alternatives). */
export function formatExactCount(count, locale) {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(count);
}

/**
 * Returns the first candidate that is a valid BCP 47 language tag, in canonical form, or
 * FALLBACK_LOCALE. Empty, null and malformed candidates are skipped.
 */
export function resolveLocale(candidates) {
  for (const candidate of candidates) {
    if (typeof candidate !== "string" || candidate.trim() === "") {
      continue;
    }
    try {
      return Intl.getCanonicalLocales(candidate.trim())[0];
    } catch {
      // A RangeError names a malformed tag, so the next candidate gets its turn.
    }
  }
  return FALLBACK_LOCALE;
}

// Chart geometry. Samples are spread evenly across the chart width, oldest at the left. The
// y axis runs from 0 to the window's maximum count, so a small change on a large audience looks
// small. Nulls split the line into segments, and each run of nulls becomes a gap that spans
// from the sample before it to the sample after it, where the line is interrupted.

export const CHART_WIDTH = 100;
export const CHART_HEIGHT = 30;
export const CHART_PADDING = 2;

/**
 * Computes chart coordinates in a `width` x `height` viewBox. Returns `{segments, gaps}`, where
 * each segment is an array of `{x, y}` points without nulls and each gap is `{x1, x2}`.
 */
export function chartGeometry(
  counts,
  { width = CHART_WIDTH, height = CHART_HEIGHT, padding = CHART_PADDING } = {},
) {
  const samples = counts.filter((count) => count !== null);
  const maxCount = samples.length === 0 ? 0 : Math.max(...samples);
  const plotWidth = width - 2 * padding;
  const plotHeight = height - 2 * padding;

  const xAt = (index) => {
    if (counts.length === 1) {
      return round(width / 2);
    }
    return round(padding + (index * plotWidth) / (counts.length - 1));
  };
  const yAt = (count) => {
    const ratio = maxCount === 0 ? 0 : count / maxCount;
    return round(height - padding - ratio * plotHeight);
  };

  const segments = [];
  let segment = [];
  for (let index = 0; index < counts.length; index += 1) {
    if (counts[index] === null) {
      if (segment.length > 0) {
        segments.push(segment);
      }
      segment = [];
    } else {
      segment.push({ x: xAt(index), y: yAt(counts[index]) });
    }
  }
  if (segment.length > 0) {
    segments.push(segment);
  }

  const gaps = findNullRuns(counts).map(({ first, last }) => ({
    x1: xAt(Math.max(first - 1, 0)),
    x2: xAt(Math.min(last + 1, counts.length - 1)),
  }));
  return { segments, gaps };
}

/** Returns an SVG path for a segment, such as "M2,28L50,15". */
export function segmentPath(segment) {
  return segment.map((point, index) => `${index === 0 ? "M" : "L"}${point.x},${point.y}`).join("");
}

function findNullRuns(counts) {
  const runs = [];
  let first = null;
  for (let index = 0; index <= counts.length; index += 1) {
    const isNull = index < counts.length && counts[index] === null;
    if (isNull && first === null) {
      first = index;
    } else if (!isNull && first !== null) {
      runs.push({ first, last: index - 1 });
      first = null;
    }
  }
  return runs;
}

function round(value) {
  return Math.round(value * 100) / 100;
}

// Texts and the complete view model. The interface text is English. The locale only decides how
// numbers are formatted, and the element marks number spans with it so screen readers switch
// language for them.

export const TREND_LABELS = Object.freeze({
  rising: "Rising",
  falling: "Falling",
  steady: "Steady",
});

/** Arrow glyphs shown next to the trend word. They are decoration, hidden from screen readers. */
export const TREND_ARROWS = Object.freeze({
  rising: "\u25B2",
  falling: "\u25BC",
  steady: "\u2192",
});

export const WAITING_TEXT = "Waiting for viewer count";
export const OFFLINE_TEXT = "Stream offline, no current count";

/**
 * Builds everything the element shows for a validated payload, or for null before the first
 * payload. `state` is "waiting", "offline" (newest sample null) or "live". `count` is the
 * formatted newest count or null, `label` the words after it, and `announcement` the text of the
 * aria-live region. `trend` is null unless the state is "live" and the trend is known.
 */
export function buildViewModel(payload, locale) {
  if (payload === null) {
    return {
      state: "waiting",
      count: null,
      label: WAITING_TEXT,
      announcement: WAITING_TEXT,
      trend: null,
      detail: null,
      chart: null,
    };
  }

  const { counts } = payload;
  const newest = counts[counts.length - 1];
  const chart = {
    ...chartGeometry(counts),
    label: describeWindow(payload, locale),
  };

  if (newest === null) {
    return {
      state: "offline",
      count: null,
      label: OFFLINE_TEXT,
      announcement: OFFLINE_TEXT,
      trend: null,
      detail: describeLastCount(payload, locale),
      chart,
    };
  }

  const count = formatCount(newest, locale);
  const label = newest === 1 ? "viewer" : "viewers";
  const trendName = computeTrend(counts);
  const trend =
    trendName === "unknown"
      ? null
      : { name: trendName, label: TREND_LABELS[trendName], arrow: TREND_ARROWS[trendName] };
  return {
    state: "live",
    count,
    label,
    announcement: `${count} ${label}`,
    trend,
    detail: null,
    chart,
  };
}

/**
 * Summarizes the window as one sentence for the chart's text alternative, for example
 * "Viewer count over the last 5 minutes: lowest 12, highest 20, latest 20, rising. No data for
 * 1 of 5 samples."
 */
export function describeWindow(payload, locale) {
  const { counts, interval } = payload;
  const span = describeDuration(counts.length * interval);
  const samples = counts.filter((count) => count !== null);
  if (samples.length === 0) {
    return `Viewer count over the last ${span}: no data.`;
  }

  const format = (count) => formatExactCount(count, locale);
  const newest = counts[counts.length - 1];
  const parts = [
    `lowest ${format(Math.min(...samples))}`,
    `highest ${format(Math.max(...samples))}`,
    newest === null ? "offline now" : `latest ${format(newest)}`,
  ];
  const trend = computeTrend(counts);
  if (newest !== null && trend !== "unknown") {
    parts.push(trend);
  }

  let sentence = `Viewer count over the last ${span}: ${parts.join(", ")}.`;
  const missing = counts.length - samples.length;
  if (missing > 0) {
    sentence += ` No data for ${missing} of ${counts.length} samples.`;
  }
  return sentence;
}

/** Returns "Last count 1,234, 3 minutes ago" for the newest sample, or null if none exists. */
export function describeLastCount(payload, locale) {
  const { counts, interval } = payload;
  for (let index = counts.length - 1; index >= 0; index -= 1) {
    if (counts[index] !== null) {
      const age = describeDuration((counts.length - 1 - index) * interval);
      return `Last count ${formatExactCount(counts[index], locale)}, ${age} ago`;
    }
  }
  return null;
}

/** Returns "1 minute", "5 minutes" or, for spans that are not whole minutes, "90 seconds". */
export function describeDuration(seconds) {
  if (seconds % 60 === 0) {
    const minutes = seconds / 60;
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

// Colours. The element draws on an opaque backdrop, so contrast does not depend on the video.
// WCAG 2.1 AA requires 4.5:1 for text and 3:1 for graphics, and tests check both.

export const PALETTE = Object.freeze({
  background: "#101418",
  text: "#ffffff",
  mutedText: "#c9d1d9",
  rising: "#7ee2a8",
  falling: "#ffb3a7",
  steady: "#c9d1d9",
  chartLine: "#8ecbff",
  chartGap: "#9aa4ae",
});

/** Returns the WCAG 2.1 contrast ratio of two "#rrggbb" colours, from 1 to 21. */
export function contrastRatio(firstHex, secondHex) {
  const first = relativeLuminance(firstHex);
  const second = relativeLuminance(secondHex);
  return (Math.max(first, second) + 0.05) / (Math.min(first, second) + 0.05);
}

function relativeLuminance(hex) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (match === null) {
    throw new RangeError(`colour ${JSON.stringify(hex)} is not in the form #rrggbb`);
  }
  const [red, green, blue] = match.slice(1).map((pair) => {
    const channel = parseInt(pair, 16) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

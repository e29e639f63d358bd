// Unit tests for player/viewer-count-core.js. Run with `node --test tests/player/`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import {
  MAX_COUNT,
  MAX_CUE_BYTES,
  OFFLINE_TEXT,
  PALETTE,
  WAITING_TEXT,
  buildViewModel,
  chartGeometry,
  computeTrend,
  contrastRatio,
  describeDuration,
  describeLastCount,
  describeWindow,
  formatCount,
  parseCue,
  resolveLocale,
  segmentPath,
  validatePayload,
} from "../../player/viewer-count-core.js";

const HOSTILE = JSON.parse(readFileSync(new URL("./hostile_cues.json", import.meta.url), "utf8"));
const VALID_TEXT = HOSTILE.valid;

function cueText(counts, fields = {}) {
  return JSON.stringify({
    type: "viewerCount",
    version: 1,
    time: 1764860400,
    interval: 60,
    counts,
    ...fields,
  });
}

/** Pads a compact cue text with spaces before its closing brace to `bytes` ASCII bytes. */
function padTo(text, bytes) {
  return text.slice(0, -1) + " ".repeat(bytes - text.length) + "}";
}

function payload(counts, interval = 60) {
  const result = parseCue(cueText(counts, { interval }));
  assert.equal(result.ok, true, result.reason);
  return result.payload;
}

describe("parseCue", () => {
  test("valid cue returns payload", () => {
    const result = parseCue(VALID_TEXT);
    assert.equal(result.ok, true);
    assert.deepEqual(result.payload, {
      type: "viewerCount",
      version: 1,
      time: 1764860400,
      interval: 60,
      counts: [12, 15, null, 18, 20],
    });
  });

  test("payload is a frozen copy", () => {
    const { payload: parsed } = parseCue(VALID_TEXT);
    assert.ok(Object.isFrozen(parsed));
    assert.ok(Object.isFrozen(parsed.counts));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
  });

  const accepted = [
    ["one entry", cueText([0])],
    ["60 entries", cueText(Array(60).fill(7))],
    ["all null", cueText([null, null, null])],
    ["maximum counts fit 1024 bytes", cueText(Array(60).fill(MAX_COUNT))],
    ["12.0 is the integer 12", VALID_TEXT.replace("[12,", "[12.0,")],
    ["exponent 1.2e1 is 12", VALID_TEXT.replace("[12,", "[1.2e1,")],
    ["whitespace between tokens", VALID_TEXT.replaceAll(",", ", ")],
    [
      "keys in another order",
      '{"counts":[1],"interval":60,"time":0,"version":1,"type":"viewerCount"}',
    ],
    ["interval of 5 seconds", cueText([1, 2], { interval: 5 })],
    ["exactly 1024 bytes", padTo(VALID_TEXT, MAX_CUE_BYTES)],
  ];
  for (const [name, text] of accepted) {
    test(`accepts ${name}`, () => {
      const result = parseCue(text);
      assert.equal(result.ok, true, result.reason);
    });
  }

  test("rejects 1025 bytes", () => {
    const result = parseCue(padTo(VALID_TEXT, MAX_CUE_BYTES + 1));
    assert.equal(result.ok, false);
    assert.match(result.reason, /longer than 1024 bytes/);
  });

  test("maximum payload size", () => {
    const bytes = Buffer.byteLength(cueText(Array(60).fill(MAX_COUNT)), "utf8");
    assert.ok(bytes <= MAX_CUE_BYTES, `${bytes} bytes`);
  });

  test("negative zero becomes zero", () => {
    const { payload: parsed } = parseCue(cueText([1]).replace("[1]", "[-0]"));
    assert.ok(Object.is(parsed.counts[0], 0));
  });

  test("hostile table has 30 or more cases", () => {
    assert.ok(HOSTILE.cases.length >= 30, `${HOSTILE.cases.length} cases`);
  });

  for (const { name, text } of HOSTILE.cases) {
    test(`rejects ${name}`, () => {
      const result = parseCue(text);
      assert.equal(result.ok, false);
      assert.equal(typeof result.reason, "string");
    });
  }

  test("proto key leaves prototype clean", () => {
    parseCue(HOSTILE.cases.find((c) => c.name === "proto key").text);
    assert.equal({}.polluted, undefined);
  });

  const reasons = [
    ["padded over 1024 bytes", "invalid", /longer than 1024 bytes/],
    ["multibyte over 1024 bytes", "invalid", /longer than 1024 bytes/],
    ["byte order mark", "invalid", /not valid JSON/],
    ["proto key", "invalid", /unknown key "__proto__"/],
    ["extra scalar field", "invalid", /unknown key "channel"/],
    ["61 counts", "invalid", /1 to 60 entries, got 61/],
    ["empty counts", "invalid", /got 0/],
    ["count 1e400", "invalid", /counts\[1\].*Infinity/],
    ["float count", "invalid", /counts\[1\].*15\.5/],
    ["count as string", "invalid", /counts\[1\].*string "15"/],
    ["count above maximum", "invalid", /counts\[0\]/],
    ["time as string", "invalid", /^time/],
    ["interval zero", "invalid", /^interval/],
    ["counts missing", "invalid", /no "counts"/],
    ["version 2", "unsupported-version", /version 2/],
    ["version as string", "unsupported-version", /string "1"/],
    ["type missing", "other-type", /type/],
    ["script tag as type", "other-type", /type/],
    ["top-level array", "invalid", /an array/],
  ];
  for (const [name, code, pattern] of reasons) {
    test(`reason for ${name}`, () => {
      const result = parseCue(HOSTILE.cases.find((c) => c.name === name).text);
      assert.equal(result.code, code);
      assert.match(result.reason, pattern);
    });
  }

  test("rejects non-string input", () => {
    assert.equal(parseCue(undefined).ok, false);
    assert.equal(parseCue({}).ok, false);
  });

  test("maxBytes option raises limit", () => {
    const text = VALID_TEXT.slice(0, -1) + " ".repeat(2000) + "}";
    assert.equal(parseCue(text).ok, false);
    assert.equal(parseCue(text, { maxBytes: 4096 }).ok, true);
  });
});

describe("validatePayload", () => {
  test("accepts parsed object", () => {
    assert.equal(validatePayload(JSON.parse(VALID_TEXT)).ok, true);
  });

  test("rejects class instance", () => {
    class Payload {}
    const value = Object.assign(new Payload(), JSON.parse(VALID_TEXT));
    assert.equal(validatePayload(value).ok, false);
  });

  test("accepts null-prototype object", () => {
    const value = Object.assign(Object.create(null), JSON.parse(VALID_TEXT));
    assert.equal(validatePayload(value).ok, true);
  });

  test("rejects sparse counts array", () => {
    const value = JSON.parse(VALID_TEXT);
    value.counts = [1, , 3]; // eslint-disable-line no-sparse-arrays
    assert.equal(validatePayload(value).ok, false);
  });

  test("copy ignores later mutation", () => {
    const value = JSON.parse(VALID_TEXT);
    const result = validatePayload(value);
    value.counts[0] = 999;
    assert.equal(result.payload.counts[0], 12);
  });
});

describe("computeTrend", () => {
  const cases = [
    ["rising window", [10, 10, 12, 14, 20, 22], "rising"],
    ["falling window", [100, 95, 90, 70, 60, 50], "falling"],
    ["steady window", [100, 104, 98, 101, 99, 105], "steady"],
    ["rise below 10 percent", [100, 100, 100, 100, 105, 109], "steady"],
    ["rise of exactly 10 percent", [100, 100, 100, 100, 110, 110], "rising"],
    ["small audience plus one", [2, 2, 2, 3, 3, 3], "steady"],
    ["small audience plus two", [2, 2, 2, 3, 4, 4], "rising"],
    ["zero to two viewers", [0, 0, 0, 1, 2, 2], "rising"],
    ["nulls ignored in thirds", [10, null, 10, 10, null, 20], "rising"],
    ["oldest third all null", [null, null, 10, 10, 20, 20], "unknown"],
    ["newest third all null", [10, 10, 20, 20, null, null], "unknown"],
    ["two entries", [1, 100], "unknown"],
    ["three entries compare ends", [10, 0, 20], "rising"],
    ["one entry", [5], "unknown"],
    ["all null", [null, null, null], "unknown"],
  ];
  for (const [name, counts, expected] of cases) {
    test(name, () => {
      assert.equal(computeTrend(counts), expected);
    });
  }

  test("60 entries use 20-sample thirds", () => {
    const counts = [...Array(20).fill(100), ...Array(20).fill(0), ...Array(20).fill(111)];
    assert.equal(computeTrend(counts), "rising");
  });
});

describe("formatCount", () => {
  const cases = [
    ["en-US", 0, "0"],
    ["en-US", 999, "999"],
    ["en-US", 9999, "9,999"],
    ["en-US", 12345, "12.3K"],
    ["en-US", 123456, "123K"],
    ["en-US", 1234567, "1.23M"],
    ["en-US", MAX_COUNT, "1T"],
    ["de-DE", 9999, "9.999"],
    ["de-DE", 12345, "12.345"],
    ["de-DE", 123456, "123.456"],
    ["de-DE", 1234567, "1,23\u00a0Mio."],
    ["de-DE", 2500000000, "2,5\u00a0Mrd."],
  ];
  for (const [locale, count, expected] of cases) {
    test(`${locale} ${count}`, () => {
      assert.equal(formatCount(count, locale), expected);
    });
  }
});

describe("resolveLocale", () => {
  test("first valid tag wins", () => {
    assert.equal(resolveLocale([null, "", "de-de", "fr"]), "de-DE");
  });

  test("malformed tag is skipped", () => {
    assert.equal(resolveLocale(["not a locale!", "fr-CA"]), "fr-CA");
  });

  test("falls back to en-US", () => {
    assert.equal(resolveLocale([undefined, "  "]), "en-US");
  });
});

describe("chartGeometry", () => {
  const box = { width: 100, height: 30, padding: 2 };

  test("points span the width", () => {
    const { segments, gaps } = chartGeometry([0, 5, 10], box);
    assert.deepEqual(segments, [
      [
        { x: 2, y: 28 },
        { x: 50, y: 15 },
        { x: 98, y: 2 },
      ],
    ]);
    assert.deepEqual(gaps, []);
  });

  test("null splits segments", () => {
    const { segments } = chartGeometry([10, 10, null, 5, 10], box);
    assert.equal(segments.length, 2);
    assert.deepEqual(segments[0], [
      { x: 2, y: 2 },
      { x: 26, y: 2 },
    ]);
    assert.deepEqual(segments[1], [
      { x: 74, y: 15 },
      { x: 98, y: 2 },
    ]);
  });

  test("gap spans neighbours", () => {
    const { gaps } = chartGeometry([10, 10, null, 5, 10], box);
    assert.deepEqual(gaps, [{ x1: 26, x2: 74 }]);
  });

  test("gaps at both ends", () => {
    const { segments, gaps } = chartGeometry([null, 4, 4, null, null], box);
    assert.deepEqual(gaps, [
      { x1: 2, x2: 26 },
      { x1: 50, x2: 98 },
    ]);
    assert.equal(segments.length, 1);
  });

  test("isolated sample is own segment", () => {
    const { segments } = chartGeometry([1, null, 1, null, 1], box);
    assert.equal(segments.length, 3);
    assert.ok(segments.every((segment) => segment.length === 1));
  });

  test("all null has no segments", () => {
    const { segments, gaps } = chartGeometry([null, null], box);
    assert.deepEqual(segments, []);
    assert.deepEqual(gaps, [{ x1: 2, x2: 98 }]);
  });

  test("all zero stays on baseline", () => {
    const { segments } = chartGeometry([0, 0], box);
    assert.deepEqual(
      segments[0].map((point) => point.y),
      [28, 28],
    );
  });

  test("single entry is centred", () => {
    const { segments } = chartGeometry([7], box);
    assert.deepEqual(segments, [[{ x: 50, y: 2 }]]);
  });

  test("segment path", () => {
    assert.equal(
      segmentPath([
        { x: 2, y: 28 },
        { x: 50, y: 15.5 },
      ]),
      "M2,28L50,15.5",
    );
  });
});

describe("texts", () => {
  test("window summary", () => {
    const text = describeWindow(payload([12, 15, null, 18, 20]), "en-US");
    assert.equal(
      text,
      "Viewer count over the last 5 minutes: lowest 12, highest 20, latest 20, rising. " +
        "No data for 1 of 5 samples.",
    );
  });

  test("window summary uses locale", () => {
    const text = describeWindow(payload([1000, 1000, 1000]), "de-DE");
    assert.match(text, /lowest 1\.000, highest 1\.000, latest 1\.000, steady\./);
  });

  test("window summary offline", () => {
    const text = describeWindow(payload([5, 6, null]), "en-US");
    assert.equal(
      text,
      "Viewer count over the last 3 minutes: lowest 5, highest 6, offline now. " +
        "No data for 1 of 3 samples.",
    );
  });

  test("window summary without data", () => {
    const text = describeWindow(payload([null]), "en-US");
    assert.equal(text, "Viewer count over the last 1 minute: no data.");
  });

  test("last count age", () => {
    const text = describeLastCount(payload([1234, 50, null, null, null]), "en-US");
    assert.equal(text, "Last count 50, 3 minutes ago");
  });

  test("last count absent", () => {
    assert.equal(describeLastCount(payload([null, null]), "en-US"), null);
  });

  test("durations", () => {
    assert.equal(describeDuration(60), "1 minute");
    assert.equal(describeDuration(3600), "60 minutes");
    assert.equal(describeDuration(90), "90 seconds");
    assert.equal(describeDuration(1), "1 second");
  });
});

describe("buildViewModel", () => {
  test("waiting before payload", () => {
    const model = buildViewModel(null, "en-US");
    assert.equal(model.state, "waiting");
    assert.equal(model.announcement, WAITING_TEXT);
    assert.equal(model.chart, null);
  });

  test("live shows newest count", () => {
    const model = buildViewModel(payload([10, 10, 10, 12345]), "en-US");
    assert.equal(model.state, "live");
    assert.equal(model.count, "12.3K");
    assert.equal(model.announcement, "12.3K viewers");
  });

  test("live rising trend", () => {
    const model = buildViewModel(payload([10, 10, 10, 12345]), "en-US");
    assert.deepEqual(model.trend, { name: "rising", label: "Rising", arrow: "\u25B2" });
  });

  test("single viewer is singular", () => {
    const model = buildViewModel(payload([1]), "en-US");
    assert.equal(model.announcement, "1 viewer");
  });

  test("unknown trend is hidden", () => {
    const model = buildViewModel(payload([1]), "en-US");
    assert.equal(model.trend, null);
  });

  test("offline when newest is null", () => {
    const model = buildViewModel(payload([10, 20, 30, null]), "en-US");
    assert.equal(model.state, "offline");
    assert.equal(model.count, null);
    assert.equal(model.announcement, OFFLINE_TEXT);
    assert.equal(model.trend, null);
    assert.equal(model.detail, "Last count 30, 1 minute ago");
  });

  test("offline keeps chart", () => {
    const model = buildViewModel(payload([10, 20, 30, null]), "en-US");
    assert.equal(model.chart.segments.length, 1);
    assert.equal(model.chart.gaps.length, 1);
  });
});

describe("palette", () => {
  const textColours = ["text", "mutedText", "rising", "falling", "steady"];
  for (const name of textColours) {
    test(`${name} text meets AA`, () => {
      const ratio = contrastRatio(PALETTE[name], PALETTE.background);
      assert.ok(ratio >= 4.5, `${name} ${ratio.toFixed(2)}:1`);
    });
  }

  test("rising badge text meets AA", () => {
    const ratio = contrastRatio(PALETTE.background, PALETTE.rising);
    assert.ok(ratio >= 4.5, `${ratio.toFixed(2)}:1`);
  });

  for (const name of ["chartLine", "chartGap"]) {
    test(`${name} graphic meets 3:1`, () => {
      const ratio = contrastRatio(PALETTE[name], PALETTE.background);
      assert.ok(ratio >= 3, `${name} ${ratio.toFixed(2)}:1`);
    });
  }

  test("backdrop is opaque", () => {
    assert.match(PALETTE.background, /^#[0-9a-f]{6}$/i);
  });

  test("contrast of black on white", () => {
    assert.equal(contrastRatio("#000000", "#ffffff"), 21);
  });

  test("contrast rejects bad colour", () => {
    assert.throws(() => contrastRatio("red", "#ffffff"), RangeError);
  });
});

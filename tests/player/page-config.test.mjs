// Unit tests for player/page-config.js. Run with `node --test tests/player/`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  DEFAULT_SDK_SCRIPT,
  describePlayerError,
  resolveSettings,
  validatePlaybackUrl,
} from "../../player/page-config.js";

// ErrorType values of amazon-ivs-player 1.56.1 (dist/index.d.ts).
const ERROR_TYPES = {
  GENERIC: "Error",
  NOT_AVAILABLE: "ErrorNotAvailable",
  AUTHORIZATION: "ErrorAuthorization",
  NETWORK: "ErrorNetwork",
  NETWORK_IO: "ErrorNetworkIO",
  TIMEOUT: "ErrorTimeout",
};

const CONFIG_URL = "http://127.0.0.1:8000/player/config.json";
const PLAYBACK_URL = "https://example.invalid/api/video/v1/channel.m3u8";

describe("validatePlaybackUrl", () => {
  const accepted = [
    "https://abc.us-east-1.playback.live-video.net/api/video/v1/us-east-1.123.channel.x.m3u8",
    "http://127.0.0.1:8080/live/index.m3u8",
    "https://host.example/a.M3U8",
    "https://host.example/a.m3u8?token=abc",
  ];
  for (const value of accepted) {
    test(`accepts ${value}`, () => {
      assert.equal(validatePlaybackUrl(value).ok, true);
    });
  }

  const rejected = [
    ["empty", "", /empty/],
    ["relative path", "live/index.m3u8", /not an absolute URL/],
    ["javascript scheme", "javascript:alert(1)//.m3u8", /scheme is javascript:/],
    ["data scheme", "data:text/plain,x.m3u8", /scheme is data:/],
    ["ftp scheme", "ftp://host/a.m3u8", /scheme is ftp:/],
    ["mp4 file", "https://host/a.mp4", /does not end in \.m3u8/],
    ["m3u8 only in query", "https://host/a?x=.m3u8", /does not end in \.m3u8/],
    ["not a string", 42, /empty/],
  ];
  for (const [name, value, pattern] of rejected) {
    test(`rejects ${name}`, () => {
      const result = validatePlaybackUrl(value);
      assert.equal(result.ok, false);
      assert.match(result.reason, pattern);
    });
  }
});

describe("resolveSettings", () => {
  test("config playback URL", () => {
    const settings = resolveSettings({ playbackUrl: PLAYBACK_URL }, CONFIG_URL, "");
    assert.equal(settings.error, null);
    assert.equal(settings.playbackUrl, PLAYBACK_URL);
  });

  test("query overrides config", () => {
    const search = "?playbackUrl=" + encodeURIComponent("http://127.0.0.1:9/x.m3u8");
    const settings = resolveSettings({ playbackUrl: PLAYBACK_URL }, CONFIG_URL, search);
    assert.equal(settings.playbackUrl, "http://127.0.0.1:9/x.m3u8");
  });

  test("bad query is an error", () => {
    const search = "?playbackUrl=" + encodeURIComponent("<b>bad</b>");
    const settings = resolveSettings({ playbackUrl: PLAYBACK_URL }, CONFIG_URL, search);
    assert.equal(settings.playbackUrl, null);
    assert.match(settings.error, /The playbackUrl "<b>bad<\/b>" in the address is invalid/);
  });

  test("empty query is an error", () => {
    const settings = resolveSettings({ playbackUrl: PLAYBACK_URL }, CONFIG_URL, "?playbackUrl=");
    assert.match(settings.error, /in the address is invalid: it is empty/);
  });

  test("missing playback URL", () => {
    const settings = resolveSettings({}, CONFIG_URL, "");
    assert.match(settings.error, /No playback URL is set/);
  });

  test("missing config with query", () => {
    const search = "?playbackUrl=" + encodeURIComponent(PLAYBACK_URL);
    const settings = resolveSettings(null, CONFIG_URL, search);
    assert.equal(settings.error, null);
    assert.equal(settings.sdk.script, DEFAULT_SDK_SCRIPT);
  });

  test("invalid config playback URL", () => {
    const settings = resolveSettings({ playbackUrl: "https://host/a.mp4" }, CONFIG_URL, "");
    assert.match(settings.error, /playbackUrl in config\.json is invalid/);
  });

  test("config must be an object", () => {
    const settings = resolveSettings([PLAYBACK_URL], CONFIG_URL, "");
    assert.match(settings.error, /must contain a JSON object/);
  });

  test("default SDK is pinned CDN", () => {
    const settings = resolveSettings({ playbackUrl: PLAYBACK_URL }, CONFIG_URL, "");
    assert.deepEqual(settings.sdk, {
      script: "https://player.live-video.net/1.56.1/amazon-ivs-player.min.js",
      wasmWorker: null,
      wasmBinary: null,
    });
  });

  test("SDK URLs resolve against config", () => {
    const config = {
      playbackUrl: PLAYBACK_URL,
      sdk: {
        script: "ivs/player.js",
        wasmWorker: "/ivs/worker.js",
        wasmBinary: "ivs/worker.wasm",
      },
    };
    const settings = resolveSettings(config, CONFIG_URL, "");
    assert.deepEqual(settings.sdk, {
      script: "http://127.0.0.1:8000/player/ivs/player.js",
      wasmWorker: "http://127.0.0.1:8000/ivs/worker.js",
      wasmBinary: "http://127.0.0.1:8000/player/ivs/worker.wasm",
    });
  });

  test("only one wasm URL is an error", () => {
    const config = { playbackUrl: PLAYBACK_URL, sdk: { wasmWorker: "w.js" } };
    const settings = resolveSettings(config, CONFIG_URL, "");
    assert.match(settings.error, /only one of sdk\.wasmWorker and sdk\.wasmBinary/);
  });

  test("SDK script must be http", () => {
    const config = { playbackUrl: PLAYBACK_URL, sdk: { script: "javascript:alert(1)" } };
    const settings = resolveSettings(config, CONFIG_URL, "");
    assert.match(settings.error, /sdk\.script in config\.json must be an http\(s\) URL/);
  });

  test("snapshot URL resolves against config", () => {
    const config = { playbackUrl: PLAYBACK_URL, snapshotUrl: "snapshot/xyz.json" };
    const settings = resolveSettings(config, CONFIG_URL, "");
    assert.equal(settings.snapshotUrl, "http://127.0.0.1:8000/player/snapshot/xyz.json");
  });

  test("snapshot dropped for another stream", () => {
    const config = { playbackUrl: PLAYBACK_URL, snapshotUrl: "snapshots/a.json" };
    const other = "https://example.invalid/api/video/v1/other.m3u8";
    const settings = resolveSettings(config, CONFIG_URL, `?playbackUrl=${other}`);
    assert.equal(settings.playbackUrl, other);
    assert.equal(settings.snapshotUrl, null);
  });

  test("snapshot of another stream from map", () => {
    const other = "https://example.invalid/api/video/v1/other.m3u8";
    const config = {
      playbackUrl: PLAYBACK_URL,
      snapshotUrl: "snapshots/a.json",
      snapshots: { [PLAYBACK_URL]: "snapshots/a.json", [other]: "snapshots/b.json" },
    };
    const settings = resolveSettings(config, CONFIG_URL, `?playbackUrl=${other}`);
    assert.equal(settings.snapshotUrl, "http://127.0.0.1:8000/player/snapshots/b.json");
  });

  test("snapshot map ignores inherited keys", () => {
    const config = { playbackUrl: PLAYBACK_URL, snapshots: {} };
    const settings = resolveSettings(config, CONFIG_URL, "?playbackUrl=https://x.invalid/toString.m3u8");
    assert.equal(settings.snapshotUrl, null);
  });

  test("same stream in address keeps snapshot", () => {
    const config = { playbackUrl: PLAYBACK_URL, snapshotUrl: "snapshots/a.json" };
    const settings = resolveSettings(config, CONFIG_URL, `?playbackUrl=${PLAYBACK_URL}`);
    assert.equal(settings.snapshotUrl, "http://127.0.0.1:8000/player/snapshots/a.json");
  });

  test("snapshot kept despite playback error", () => {
    const config = { snapshotUrl: "snapshot/xyz.json" };
    const settings = resolveSettings(config, CONFIG_URL, "?playbackUrl=bad");
    assert.notEqual(settings.error, null);
    assert.equal(settings.snapshotUrl, "http://127.0.0.1:8000/player/snapshot/xyz.json");
  });

  test("snapshot URL must be a string", () => {
    const config = { playbackUrl: PLAYBACK_URL, snapshotUrl: 5 };
    const settings = resolveSettings(config, CONFIG_URL, "");
    assert.match(settings.error, /snapshotUrl in config\.json must be a non-empty string/);
  });
});

describe("describePlayerError", () => {
  const unavailable = (code) => ({ type: "ErrorNotAvailable", code });
  const cases = [
    ["concurrent-viewer limit", unavailable(429), /limit of concurrent viewers/],
    ["offline stream", unavailable(404), /offline or the playback URL is wrong/],
    ["other unavailable", unavailable(503), /not available \(HTTP 503\)/],
    ["private stream", { type: "ErrorAuthorization", code: 403 }, /private/],
    ["network", { type: "ErrorNetwork", code: 0 }, /network error/],
    ["network io", { type: "ErrorNetworkIO", code: 0 }, /network error/],
    ["timeout", { type: "ErrorTimeout", code: 0 }, /network error/],
    ["generic", { type: "Error", code: 7, message: "bad frame" }, /bad frame \(Error, 7\)/],
    ["generic without code", { type: "Error", message: "x" }, /Playback failed: x \(Error\)\./],
    ["no payload", undefined, /Playback failed: unknown error\./],
  ];
  for (const [name, error, pattern] of cases) {
    test(name, () => {
      assert.match(describePlayerError(error, ERROR_TYPES), pattern);
    });
  }

  test("limit message differs from offline", () => {
    const limit = describePlayerError({ type: "ErrorNotAvailable", code: 429 }, ERROR_TYPES);
    const offline = describePlayerError({ type: "ErrorNotAvailable", code: 404 }, ERROR_TYPES);
    assert.notEqual(limit, offline);
  });
});

// Pure helpers for the player page: reading config.json and the address, and the texts for
// player errors. No DOM access, so Node tests import this module directly.
//
// config.json, next to index.html:
//   {"playbackUrl": "https://.../channel.m3u8",
//    "snapshotUrl": "snapshot/xyz.json",                 optional
//    "snapshots": {"<playback URL>": "snapshots/<id>.json", ...}   optional, for ?playbackUrl=
//    "sdk": {"script": "...", "wasmWorker": "...", "wasmBinary": "..."}}   optional
// Relative URLs are resolved against the address of config.json. A `playbackUrl` query parameter
// in the page address overrides the one in config.json.

/** IVS Player Web SDK from its CDN, pinned to the version in package.json. */
export const DEFAULT_SDK_SCRIPT = "https://player.live-video.net/1.56.1/amazon-ivs-player.min.js";

/** Maximum size of a snapshot file in bytes. A valid payload is at most 1,024 bytes. */
export const SNAPSHOT_MAX_BYTES = 16 * 1024;

/**
 * Checks that `value` is an absolute http(s) URL whose path ends in ".m3u8". Returns
 * `{ok: true, url}` with the normalized URL, or `{ok: false, reason}`.
 */
export function validatePlaybackUrl(value) {
  if (typeof value !== "string" || value.trim() === "") {
    return { ok: false, reason: "it is empty" };
  }

  let url;
  try {
    url = new URL(value.trim());
  } catch {
    return { ok: false, reason: "it is not an absolute URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: `its scheme is ${url.protocol} instead of http: or https:` };
  }
  if (!url.pathname.toLowerCase().endsWith(".m3u8")) {
    return { ok: false, reason: "its path does not end in .m3u8" };
  }
  return { ok: true, url: url.href };
}

/**
 * Resolves the page settings from the parsed config.json (or null when it could not be loaded),
 * the address of config.json and the page's query string.
 *
 * Returns `{playbackUrl, snapshotUrl, sdk: {script, wasmWorker, wasmBinary}, error}`. `error` is
 * a message for the viewer, or null. Even with an error, `snapshotUrl` is set when config.json
 * names a valid one, so the page can still show the last known count.
 */
export function resolveSettings(config, configUrl, search) {
  const settings = {
    playbackUrl: null,
    snapshotUrl: null,
    sdk: { script: DEFAULT_SDK_SCRIPT, wasmWorker: null, wasmBinary: null },
    error: null,
  };
  const fail = (message) => ({ ...settings, error: message });

  if (config !== null && !isPlainObject(config)) {
    return fail("config.json must contain a JSON object. Fix the file and reload the page.");
  }
  const source = config ?? {};

  const snapshot = resolveOptionalUrl(source.snapshotUrl, configUrl, "snapshotUrl");
  if (snapshot.error) {
    return fail(snapshot.error);
  }
  settings.snapshotUrl = snapshot.url;

  const sdk = resolveSdk(source.sdk, configUrl);
  if (sdk.error) {
    return fail(sdk.error);
  }
  settings.sdk = sdk.sdk;

  const playback = resolvePlaybackUrl(source.playbackUrl, search);
  if (playback.error) {
    return fail(playback.error);
  }
  settings.playbackUrl = playback.url;

  // A snapshot belongs to one channel. When the address plays another stream than config.json,
  // the snapshot comes from that stream's entry in `snapshots`, or there is none.
  const configPlayback = validatePlaybackUrl(source.playbackUrl);
  if (!configPlayback.ok || configPlayback.url !== playback.url) {
    settings.snapshotUrl = snapshotFor(source.snapshots, playback.url, configUrl);
  }
  return settings;
}

function snapshotFor(snapshots, playbackUrl, configUrl) {
  if (!isPlainObject(snapshots) || !Object.hasOwn(snapshots, playbackUrl)) {
    return null;
  }
  const result = resolveOptionalUrl(snapshots[playbackUrl], configUrl, "snapshots");
  return result.error ? null : result.url;
}

function resolvePlaybackUrl(configValue, search) {
  const query = new URLSearchParams(search);
  if (query.has("playbackUrl")) {
    const value = query.get("playbackUrl");
    const result = validatePlaybackUrl(value);
    if (!result.ok) {
      const quoted = JSON.stringify(value.slice(0, 200));
      const error =
        `The playbackUrl ${quoted} in the address is invalid: ${result.reason}. ` +
        "Use an http(s) URL ending in .m3u8.";
      return { error };
    }
    return { url: result.url };
  }

  if (configValue === undefined || configValue === null || configValue === "") {
    return {
      error:
        "No playback URL is set. Add ?playbackUrl=https://.../channel.m3u8 to the address " +
        "or set playbackUrl in config.json.",
    };
  }
  const result = validatePlaybackUrl(configValue);
  if (!result.ok) {
    const error = `The playbackUrl in config.json is invalid: ${result.reason}. Fix config.json.`;
    return { error };
  }
  return { url: result.url };
}

function resolveSdk(sdkConfig, configUrl) {
  if (sdkConfig === undefined || sdkConfig === null) {
    return { sdk: { script: DEFAULT_SDK_SCRIPT, wasmWorker: null, wasmBinary: null } };
  }
  if (!isPlainObject(sdkConfig)) {
    return { error: "The sdk entry in config.json must be an object. Fix config.json." };
  }

  const resolved = {};
  for (const key of ["script", "wasmWorker", "wasmBinary"]) {
    const result = resolveOptionalUrl(sdkConfig[key], configUrl, `sdk.${key}`);
    if (result.error) {
      return { error: result.error };
    }
    resolved[key] = result.url;
  }

  // The npm build of the SDK needs both worker URLs, and the CDN build finds them itself.
  if ((resolved.wasmWorker === null) !== (resolved.wasmBinary === null)) {
    return {
      error: "config.json sets only one of sdk.wasmWorker and sdk.wasmBinary. Set both or neither.",
    };
  }
  return { sdk: { ...resolved, script: resolved.script ?? DEFAULT_SDK_SCRIPT } };
}

function resolveOptionalUrl(value, baseUrl, name) {
  if (value === undefined || value === null) {
    return { url: null };
  }
  if (typeof value !== "string" || value.trim() === "") {
    return { error: `${name} in config.json must be a non-empty string. Fix config.json.` };
  }

  let url;
  try {
    url = new URL(value.trim(), baseUrl);
  } catch {
    return { error: `${name} in config.json is not a valid URL. Fix config.json.` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { error: `${name} in config.json must be an http(s) URL. Fix config.json.` };
  }
  return { url: url.href };
}

function isPlainObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Returns the message for a PlayerEventType.ERROR payload. `errorTypes` is the SDK's ErrorType
 * enumeration. The concurrent-viewers limit is ErrorType.NOT_AVAILABLE with HTTP code 429, and an
 * offline or unknown stream is NOT_AVAILABLE with 404 (amazon-ivs-player 1.56.1, index.d.ts).
 */
export function describePlayerError(error, errorTypes) {
  const type = error?.type;
  const code = error?.code;
  const types = errorTypes ?? {};

  if (type === types.NOT_AVAILABLE && code === 429) {
    return "This stream has reached its limit of concurrent viewers. Try again in a few minutes.";
  }
  if (type === types.NOT_AVAILABLE && code === 404) {
    return "The stream is offline or the playback URL is wrong. Check the URL or try again later.";
  }
  if (type === types.NOT_AVAILABLE) {
    return `The stream is not available (HTTP ${code}). Try again later.`;
  }
  if (type === types.AUTHORIZATION) {
    return "This stream is private and the viewer authorization is missing or invalid.";
  }
  if (type === types.NETWORK || type === types.NETWORK_IO || type === types.TIMEOUT) {
    return (
      "The stream could not be loaded because of a network error. " +
      "Check the connection and reload the page."
    );
  }

  const detail = [type, code].filter((part) => part !== undefined && part !== null).join(", ");
  const hasMessage = typeof error?.message === "string" && error.message !== "";
  const message = hasMessage ? error.message : "unknown error";
  const suffix = detail === "" ? "" : ` (${detail})`;
  return `Playback failed: ${message}${suffix}. Reload the page to try again.`;
}

export const UNSUPPORTED_MESSAGE =
  "This browser cannot play the stream because it lacks WebAssembly support, which the " +
  "Amazon IVS player needs. Use a current version of Chrome, Edge, Firefox or Safari.";

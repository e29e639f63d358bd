// Player page: reads config.json and the address, shows the snapshot for late joiners, loads
// the IVS Player Web SDK and connects the player to <ivs-viewer-count>.

import "./viewer-count.js";
import {
  SNAPSHOT_MAX_BYTES,
  UNSUPPORTED_MESSAGE,
  describePlayerError,
  resolveSettings,
} from "./page-config.js";

const viewerCount = document.querySelector("ivs-viewer-count");
const video = document.querySelector("video");
const messageBox = document.getElementById("message");

start().catch((error) => {
  console.error("Player page failed to start", error);
  showMessage(`The player page failed to start: ${error.message}. Reload the page to try again.`);
});

async function start() {
  // The page text is English, but numbers follow the viewer's browser locale.
  if (!viewerCount.hasAttribute("lang") && navigator.language) {
    viewerCount.setAttribute("lang", navigator.language);
  }

  const configUrl = new URL("config.json", document.baseURI).href;
  const { config, problem } = await loadConfig(configUrl);
  const settings = resolveSettings(config, configUrl, window.location.search);

  // The snapshot does not need the player, so it is loaded even when playback cannot start.
  if (settings.snapshotUrl !== null) {
    loadSnapshot(settings.snapshotUrl);
  }

  if (settings.error !== null) {
    showMessage(problem === null ? settings.error : `${problem} ${settings.error}`);
    return;
  }

  const IVSPlayer = await loadSdk(settings.sdk.script);
  if (IVSPlayer.isPlayerSupported !== true) {
    showMessage(UNSUPPORTED_MESSAGE);
    return;
  }
  startPlayer(IVSPlayer, settings);
}

async function loadConfig(configUrl) {
  let response;
  try {
    response = await fetch(configUrl, { cache: "no-cache" });
  } catch (error) {
    console.warn(`Could not load ${configUrl}`, error);
    return { config: null, problem: "Could not load config.json (network error)." };
  }
  if (!response.ok) {
    console.warn(`Could not load ${configUrl}: HTTP ${response.status}`);
    return { config: null, problem: `Could not load config.json (HTTP ${response.status}).` };
  }

  try {
    return { config: await response.json(), problem: null };
  } catch (error) {
    console.warn(`${configUrl} is not valid JSON`, error);
    return { config: null, problem: "config.json is not valid JSON." };
  }
}

/**
 * Shows the last stored payload until the first cue arrives. A missing or invalid snapshot is
 * only logged, because the next cue brings the same data within a minute.
 */
async function loadSnapshot(snapshotUrl) {
  try {
    const response = await fetch(snapshotUrl, { cache: "no-cache" });
    if (!response.ok) {
      console.info(`Viewer-count snapshot skipped: HTTP ${response.status} for ${snapshotUrl}`);
      return;
    }

    const text = await response.text();
    if (text.length > SNAPSHOT_MAX_BYTES) {
      const limit = `${SNAPSHOT_MAX_BYTES} bytes`;
      console.info(`Viewer-count snapshot skipped: ${snapshotUrl} is over ${limit}`);
      return;
    }
    if (viewerCount.payload !== null) {
      console.info("Viewer-count snapshot skipped: a cue arrived first");
      return;
    }
    if (!viewerCount.showPayload(JSON.parse(text))) {
      console.info(`Viewer-count snapshot skipped: ${snapshotUrl} is not a valid payload`);
    }
  } catch (error) {
    console.info(`Viewer-count snapshot skipped: ${snapshotUrl} failed to load (${error.message})`);
  }
}

/** Loads the SDK script unless the page already has window.IVSPlayer, and returns IVSPlayer. */
function loadSdk(scriptUrl) {
  if (window.IVSPlayer !== undefined) {
    return Promise.resolve(window.IVSPlayer);
  }

  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = scriptUrl;
    script.addEventListener("load", () => {
      if (window.IVSPlayer === undefined) {
        reject(new Error(`the script ${scriptUrl} did not define window.IVSPlayer`));
      } else {
        resolve(window.IVSPlayer);
      }
    });
    script.addEventListener("error", () => {
      reject(new Error(`the IVS Player SDK could not be loaded from ${scriptUrl}`));
    });
    document.head.append(script);
  });
}

function startPlayer(IVSPlayer, settings) {
  const { wasmWorker, wasmBinary } = settings.sdk;
  const player =
    wasmWorker === null ? IVSPlayer.create() : IVSPlayer.create({ wasmWorker, wasmBinary });

  for (const state of Object.values(IVSPlayer.PlayerState)) {
    player.addEventListener(state, () => {
      console.info(`IVS player state: ${state}`);
      if (state === IVSPlayer.PlayerState.PLAYING) {
        hideMessage();
      }
    });
  }
  player.addEventListener(IVSPlayer.PlayerEventType.ERROR, (error) => {
    console.error("IVS player error", error);
    showMessage(describePlayerError(error, IVSPlayer.ErrorType));
  });

  viewerCount.attach(player);
  player.attachHTMLVideoElement(video);

  // Browsers block autoplay with sound, so playback starts muted and the controls unmute it.
  player.setMuted(true);
  player.setAutoplay(true);
  player.load(settings.playbackUrl);
}

function showMessage(text) {
  messageBox.textContent = text;
  messageBox.hidden = false;
}

function hideMessage() {
  messageBox.hidden = true;
  messageBox.textContent = "";
}

// Stand-in for the IVS Player Web SDK in browser tests. It mirrors the names and enum values of
// amazon-ivs-player 1.56.1 (dist/index.d.ts) that the player page uses, plays nothing, and
// records every created player in window.fakePlayers. Tests call player.emit(name, payload)
// to fire events as the SDK would.
(() => {
  class FakePlayer {
    constructor(config) {
      this.config = config ?? null;
      this.listeners = new Map();
      this.loadedUrl = null;
      this.muted = false;
      this.autoplay = false;
      this.video = null;
    }

    addEventListener(name, listener) {
      if (!this.listeners.has(name)) {
        this.listeners.set(name, []);
      }
      this.listeners.get(name).push(listener);
    }

    removeEventListener(name, listener) {
      const listeners = this.listeners.get(name) ?? [];
      this.listeners.set(
        name,
        listeners.filter((candidate) => candidate !== listener),
      );
    }

    listenerCount(name) {
      return (this.listeners.get(name) ?? []).length;
    }

    emit(name, payload) {
      for (const listener of this.listeners.get(name) ?? []) {
        listener(payload);
      }
    }

    attachHTMLVideoElement(video) {
      this.video = video;
    }

    setMuted(muted) {
      this.muted = muted;
    }

    setAutoplay(autoplay) {
      this.autoplay = autoplay;
    }

    load(url) {
      this.loadedUrl = url;
    }
  }

  window.fakePlayers = [];
  window.IVSPlayer = {
    isPlayerSupported: true,
    PlayerState: {
      IDLE: "Idle",
      READY: "Ready",
      BUFFERING: "Buffering",
      PLAYING: "Playing",
      ENDED: "Ended",
    },
    PlayerEventType: {
      ERROR: "PlayerError",
      TEXT_METADATA_CUE: "PlayerTextMetadataCue",
    },
    ErrorType: {
      GENERIC: "Error",
      NOT_SUPPORTED: "ErrorNotSupported",
      NETWORK: "ErrorNetwork",
      NETWORK_IO: "ErrorNetworkIO",
      AUTHORIZATION: "ErrorAuthorization",
      NOT_AVAILABLE: "ErrorNotAvailable",
      TIMEOUT: "ErrorTimeout",
    },
    create(config) {
      const player = new FakePlayer(config);
      window.fakePlayers.push(player);
      return player;
    },
  };
})();

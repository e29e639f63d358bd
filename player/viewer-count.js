// <ivs-viewer-count>: shows the viewer count that the poller sends as IVS timed metadata.
// Framework-free, one ES module, no build step. The logic lives in viewer-count-core.js, and
// this file only renders its view model with DOM APIs. Cue text never reaches innerHTML.
//
// API:
// - attach(player) listens for TEXT_METADATA_CUE on an IVS Player instance.
// - detach() removes that listener.
// - handleCue(text) shows a cue text from any source and returns whether it was accepted.
// - showPayload(object) shows a parsed payload, such as a snapshot, and returns the same.
// - payload is the last accepted payload (frozen), or null.
// - state is "waiting", "offline" or "live".
// The element's `lang` attribute, else the nearest ancestor's, else the browser language,
// decides how numbers are formatted.

import {
  PALETTE,
  buildViewModel,
  parseCue,
  resolveLocale,
  segmentPath,
  validatePayload,
  CHART_HEIGHT,
  CHART_WIDTH,
} from "./viewer-count-core.js";

/** Value of PlayerEventType.TEXT_METADATA_CUE in amazon-ivs-player 1.56.1 (dist/index.d.ts). */
export const TEXT_METADATA_CUE_EVENT = "PlayerTextMetadataCue";

const SVG_NAMESPACE = "http://www.w3.org/2000/svg";

const STYLE = `
:host {
  display: inline-block;
  color: ${PALETTE.text};
  font: 500 0.875rem/1.3 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
:host([hidden]) { display: none; }
[hidden] { display: none !important; }
.box {
  box-sizing: border-box;
  min-width: 10em;
  padding: 0.5em 0.625em 0.5em 0.5em;
  background: ${PALETTE.background};
  border-left: 0.25em solid ${PALETTE.background};
  border-radius: 0.5em;
  box-shadow: 0 1px 4px rgb(0 0 0 / 0.6);
}
.box[data-trend="rising"] { border-left-color: ${PALETTE.rising}; }
.count {
  display: flex;
  flex-wrap: wrap;
  align-items: baseline;
  gap: 0 0.35em;
  margin: 0;
}
.number {
  font-size: 1.7em;
  font-weight: 700;
  font-variant-numeric: tabular-nums;
}
.label { color: ${PALETTE.mutedText}; }
.box[data-state="live"] .label { color: ${PALETTE.text}; }
.box[data-state="offline"] .label { color: ${PALETTE.text}; font-weight: 700; }
.trend {
  display: inline-flex;
  gap: 0.3em;
  margin: 0.25em 0 0;
  padding: 0 0.4em;
  border: 1px solid currentColor;
  border-radius: 1em;
  font-weight: 700;
}
.trend[data-trend="rising"] {
  color: ${PALETTE.background};
  background: ${PALETTE.rising};
  border-color: ${PALETTE.rising};
}
.trend[data-trend="falling"] { color: ${PALETTE.falling}; }
.trend[data-trend="steady"] { color: ${PALETTE.steady}; }
.detail {
  margin: 0.25em 0 0;
  color: ${PALETTE.mutedText};
  font-size: 0.8125em;
}
svg {
  display: block;
  width: 100%;
  height: 2.25em;
  margin-top: 0.375em;
  overflow: visible;
}
.line, .point {
  fill: none;
  stroke: ${PALETTE.chartLine};
  stroke-linecap: round;
  stroke-linejoin: round;
  vector-effect: non-scaling-stroke;
}
.line { stroke-width: 2; }
.point { stroke-width: 4; }
.gap {
  stroke: ${PALETTE.chartGap};
  stroke-width: 1.5;
  stroke-dasharray: 2 3;
  vector-effect: non-scaling-stroke;
}
@media (prefers-reduced-motion: no-preference) {
  .trend[data-trend="rising"] { animation: pulse 1.2s ease-out 2; }
}
@keyframes pulse {
  0% { box-shadow: 0 0 0 0 ${PALETTE.rising}; }
  100% { box-shadow: 0 0 0 0.5em rgb(0 0 0 / 0); }
}
`;

export class IvsViewerCountElement extends HTMLElement {
  static observedAttributes = ["lang"];

  #payload = null;
  #player = null;
  #cueListener = null;
  #cueEventName = null;
  #rejectedCueCount = 0;
  #nodes;

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    this.#nodes = buildNodes(root);
    this.#render();
  }

  connectedCallback() {
    // An ancestor's lang may differ from the one seen while the element was detached.
    this.#render();
  }

  attributeChangedCallback() {
    this.#render();
  }

  /** The last accepted payload (frozen), or null before the first one. */
  get payload() {
    return this.#payload;
  }

  /** "waiting" before the first payload, "offline" when the newest count is null, else "live". */
  get state() {
    return this.#nodes.box.dataset.state;
  }

  /**
   * Listens for TEXT_METADATA_CUE on an IVS Player instance and shows every valid cue.
   * A previously attached player is detached first.
   */
  attach(player) {
    if (player === null || typeof player !== "object") {
      throw new TypeError(`attach() expects an IVS Player instance, got ${typeof player}`);
    }
    if (typeof player.addEventListener !== "function") {
      throw new TypeError("attach() expects an IVS Player instance with addEventListener()");
    }

    this.detach();
    this.#player = player;
    this.#cueEventName = findCueEventName();
    this.#cueListener = (cue) => {
      this.handleCue(cue?.text);
    };
    player.addEventListener(this.#cueEventName, this.#cueListener);
  }

  /** Stops listening to the attached player. Does nothing when no player is attached. */
  detach() {
    if (this.#player === null) {
      return;
    }
    this.#player.removeEventListener?.(this.#cueEventName, this.#cueListener);
    this.#player = null;
    this.#cueListener = null;
    this.#cueEventName = null;
  }

  /**
   * Shows the payload in a cue text if it is valid. Returns whether it was accepted. A rejected
   * cue leaves the last good display.
   */
  handleCue(text) {
    return this.#accept(parseCue(text));
  }

  /** Shows a parsed payload, such as a snapshot, if valid. Returns whether it was accepted. */
  showPayload(value) {
    return this.#accept(validatePayload(value));
  }

  #accept(result) {
    if (!result.ok) {
      this.#logRejection(result);
      return false;
    }
    this.#payload = result.payload;
    this.#render();
    return true;
  }

  #logRejection(result) {
    if (result.code === "other-type") {
      return; // Metadata of another feature on the same channel is not an error.
    }

    // A broken producer could send a bad cue every few seconds, so only some are logged.
    this.#rejectedCueCount += 1;
    const count = this.#rejectedCueCount;
    if (count <= 3 || count % 100 === 0) {
      console.debug(`ivs-viewer-count: rejected payload #${count}: ${result.reason}`);
    }
  }

  #locale() {
    const owner = this.closest("[lang]");
    return resolveLocale([owner?.getAttribute("lang"), globalThis.navigator?.language]);
  }

  #render() {
    const locale = this.#locale();
    const model = buildViewModel(this.#payload, locale);
    const nodes = this.#nodes;

    nodes.box.dataset.state = model.state;
    nodes.box.dataset.trend = model.trend?.name ?? "none";
    renderCount(nodes, model, locale);
    renderTrend(nodes, model.trend);
    setText(nodes.detail, model.detail ?? "");
    nodes.detail.hidden = model.detail === null;
    renderChart(nodes.chart, model.chart);
  }
}

function findCueEventName() {
  const fromSdk = globalThis.IVSPlayer?.PlayerEventType?.TEXT_METADATA_CUE;
  return typeof fromSdk === "string" ? fromSdk : TEXT_METADATA_CUE_EVENT;
}

function buildNodes(root) {
  const style = document.createElement("style");
  style.textContent = STYLE;

  // The interface text is English. The number span gets the formatting locale as its lang.
  const box = createElement("div", { class: "box", lang: "en" });

  // Screen readers announce this region only when its text changes, see renderCount().
  const count = createElement("p", {
    class: "count",
    "aria-live": "polite",
    "aria-atomic": "true",
  });
  const number = createElement("span", { class: "number" });
  const label = createElement("span", { class: "label" });
  count.append(number, " ", label);

  const trend = createElement("p", { class: "trend" });
  const arrow = createElement("span", { class: "arrow", "aria-hidden": "true" });
  const trendLabel = createElement("span", { class: "trend-label" });
  trend.append(arrow, trendLabel);

  const detail = createElement("p", { class: "detail" });

  const chart = document.createElementNS(SVG_NAMESPACE, "svg");
  setAttributes(chart, {
    class: "chart",
    role: "img",
    viewBox: `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`,
    preserveAspectRatio: "none",
    focusable: "false",
  });

  box.append(count, trend, detail, chart);
  root.append(style, box);
  return { box, count, number, label, trend, arrow, trendLabel, detail, chart, announced: null };
}

function renderCount(nodes, model, locale) {
  if (nodes.number.lang !== locale) {
    nodes.number.lang = locale;
  }

  // Rewriting equal text would make some screen readers announce the count again, so the live
  // region changes only when the announced text changes.
  if (nodes.announced === model.announcement) {
    return;
  }
  nodes.announced = model.announcement;
  nodes.number.textContent = model.count ?? "";
  nodes.number.hidden = model.count === null;
  nodes.label.textContent = model.label;
}

function renderTrend(nodes, trend) {
  nodes.trend.hidden = trend === null;
  nodes.trend.dataset.trend = trend?.name ?? "none";
  setText(nodes.arrow, trend?.arrow ?? "");
  setText(nodes.trendLabel, trend?.label ?? "");
}

function renderChart(svg, chart) {
  svg.toggleAttribute("hidden", chart === null); // SVGElement has no `hidden` property
  if (chart === null) {
    svg.replaceChildren();
    svg.removeAttribute("aria-label");
    return;
  }

  const shapes = [];
  for (const gap of chart.gaps) {
    const y = CHART_HEIGHT - 1;
    shapes.push(createSvgElement("line", { class: "gap", x1: gap.x1, x2: gap.x2, y1: y, y2: y }));
  }
  for (const segment of chart.segments) {
    // A lone sample becomes a zero-length path, which the round line cap draws as a dot.
    const isPoint = segment.length === 1;
    const d = isPoint ? `${segmentPath(segment)}h0` : segmentPath(segment);
    shapes.push(createSvgElement("path", { class: isPoint ? "point" : "line", d }));
  }
  svg.replaceChildren(...shapes);
  svg.setAttribute("aria-label", chart.label);
}

function setText(node, text) {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

function createElement(name, attributes) {
  const element = document.createElement(name);
  setAttributes(element, attributes);
  return element;
}

function createSvgElement(name, attributes) {
  const element = document.createElementNS(SVG_NAMESPACE, name);
  setAttributes(element, attributes);
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
}

if (!customElements.get("ivs-viewer-count")) {
  customElements.define("ivs-viewer-count", IvsViewerCountElement);
}

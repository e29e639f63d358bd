"""Browser tests of <ivs-viewer-count> on a bare harness page (tests/player/harness.html)."""

import json

import pytest

pytestmark = pytest.mark.browser

CUE_EVENT = "PlayerTextMetadataCue"


def cue_text(counts, interval=60):
    payload = {
        "type": "viewerCount",
        "version": 1,
        "time": 1764860400,
        "interval": interval,
        "counts": counts,
    }
    return json.dumps(payload, separators=(",", ":"))


@pytest.fixture
def harness(browser_page, server_url):
    page = browser_page.page
    page.goto(f"{server_url}/tests/harness.html")
    page.wait_for_function("window.harnessReady === true")
    return browser_page


def handle_cue(page, text):
    return page.evaluate("(text) => document.getElementById('count').handleCue(text)", text)


def show_counts(page, counts, interval=60):
    accepted = handle_cue(page, cue_text(counts, interval))
    assert accepted is True
    return page


def element_state(page):
    return page.evaluate("document.getElementById('count').state")


def shadow_html(page):
    return page.evaluate("document.getElementById('count').shadowRoot.innerHTML")


def element_counts(page):
    """Number of elements in the document and in the element's shadow root."""
    return page.evaluate(
        """() => [
            document.querySelectorAll('*').length,
            document.getElementById('count').shadowRoot.querySelectorAll('*').length,
        ]"""
    )


def test_element_waiting_state(harness):
    page = harness.page
    assert element_state(page) == "waiting"
    assert page.locator("#count .label").text_content() == "Waiting for viewer count"
    assert page.locator("#count .number").is_hidden()
    assert page.locator("#count .chart").get_attribute("hidden") == ""
    assert page.locator("#count .trend").is_hidden()


def test_element_normal_window(harness):
    page = show_counts(harness.page, [100, 104, 98, 101, 99, 105])
    assert element_state(page) == "live"
    assert page.locator("#count .number").text_content() == "105"
    assert page.locator("#count .label").text_content() == "viewers"
    assert page.locator("#count .trend-label").text_content() == "Steady"
    assert page.locator("#count .chart path.line").count() == 1
    assert page.locator("#count .chart line.gap").count() == 0
    assert harness.page_errors == []


def test_element_chart_text_alternative(harness):
    page = show_counts(harness.page, [100, 104, 98, 101, 99, 105])
    chart = page.locator("#count .chart")
    assert chart.get_attribute("role") == "img"
    assert chart.get_attribute("aria-label") == (
        "Viewer count over the last 6 minutes: lowest 98, highest 105, latest 105, steady."
    )


def test_element_rising_window(harness):
    page = show_counts(harness.page, [10, 10, 12, 14, 20, 22])
    trend = page.locator("#count .trend")
    assert trend.is_visible()
    assert trend.get_attribute("data-trend") == "rising"
    assert page.locator("#count .trend-label").text_content() == "Rising"
    assert page.locator("#count .arrow").text_content() == "\u25b2"
    assert page.locator("#count .arrow").get_attribute("aria-hidden") == "true"
    assert page.locator("#count .box").get_attribute("data-trend") == "rising"


def test_element_rising_badge_colours(harness):
    page = show_counts(harness.page, [10, 10, 12, 14, 20, 22])
    badge = page.locator("#count .trend")
    background = badge.evaluate("(node) => getComputedStyle(node).backgroundColor")
    colour = badge.evaluate("(node) => getComputedStyle(node).color")
    assert background == "rgb(126, 226, 168)"
    assert colour == "rgb(16, 20, 24)"


def test_element_falling_window(harness):
    page = show_counts(harness.page, [100, 95, 90, 70, 60, 50])
    assert page.locator("#count .trend-label").text_content() == "Falling"
    assert page.locator("#count .arrow").text_content() == "\u25bc"
    assert page.locator("#count .box").get_attribute("data-trend") == "falling"


def test_element_gaps(harness):
    page = show_counts(harness.page, [5, None, 7, 8, None, None, 9])
    assert page.locator("#count .chart path.line").count() == 1
    assert page.locator("#count .chart path.point").count() == 2
    assert page.locator("#count .chart line.gap").count() == 2
    label = page.locator("#count .chart").get_attribute("aria-label")
    assert label.endswith("No data for 3 of 7 samples.")


def test_element_offline(harness):
    page = show_counts(harness.page, [10, 20, None])
    assert element_state(page) == "offline"
    assert page.locator("#count .label").text_content() == "Stream offline, no current count"
    assert page.locator("#count .number").is_hidden()
    assert page.locator("#count .detail").text_content() == "Last count 20, 1 minute ago"
    assert page.locator("#count .trend").is_hidden()
    assert page.locator("#count .chart").is_visible()


def test_element_offline_without_data(harness):
    page = show_counts(harness.page, [None, None])
    assert element_state(page) == "offline"
    assert page.locator("#count .detail").is_hidden()


def test_element_compact_count(harness):
    page = show_counts(harness.page, [12000, 12345])
    assert page.locator("#count .number").text_content() == "12.3K"


def test_element_lang_attribute(harness):
    page = harness.page
    page.evaluate("document.getElementById('count').setAttribute('lang', 'de-DE')")
    show_counts(page, [12000, 1234567])
    number = page.locator("#count .number")
    assert number.text_content() == "1,23\u00a0Mio."
    assert number.get_attribute("lang") == "de-DE"


def test_element_lang_change_rerenders(harness):
    page = show_counts(harness.page, [12345])
    page.evaluate("document.getElementById('count').setAttribute('lang', 'de-DE')")
    assert page.locator("#count .number").text_content() == "12.345"


def test_element_page_lang(harness):
    page = harness.page
    page.evaluate("document.documentElement.lang = 'de-DE'")
    page.evaluate(
        """() => {
            const element = document.createElement('ivs-viewer-count');
            element.id = 'second';
            document.body.append(element);
        }"""
    )
    page.evaluate("(text) => document.getElementById('second').handleCue(text)", cue_text([9999]))
    assert page.locator("#second .number").text_content() == "9.999"


def test_element_live_region(harness):
    region = harness.page.locator("#count .count")
    assert region.get_attribute("aria-live") == "polite"
    assert region.get_attribute("aria-atomic") == "true"


def test_live_region_quiet_on_same_count(harness):
    page = show_counts(harness.page, [1, 2, 3])
    page.evaluate(
        """() => {
            window.liveRegionMutations = 0;
            const region = document.getElementById('count').shadowRoot.querySelector('.count');
            new MutationObserver((records) => { window.liveRegionMutations += records.length; })
                .observe(region, { subtree: true, childList: true, characterData: true });
        }"""
    )

    show_counts(page, [2, 2, 3])
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
    assert page.evaluate("window.liveRegionMutations") == 0

    show_counts(page, [2, 3, 4])
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 0))")
    assert page.evaluate("window.liveRegionMutations") > 0


def test_hostile_cues_leave_display(harness, hostile_cues):
    page = show_counts(harness.page, [12, 15, None, 18, 20])
    html_before = shadow_html(page)
    counts_before = element_counts(page)

    accepted = [case["name"] for case in hostile_cues if handle_cue(page, case["text"])]

    assert len(hostile_cues) >= 30
    assert accepted == []
    assert shadow_html(page) == html_before
    assert element_counts(page) == counts_before
    assert page.evaluate("window.__pwned") is None
    assert harness.page_errors == []


def test_hostile_cues_through_player(harness, hostile_cues):
    page = show_counts(harness.page, [12, 15, None, 18, 20])
    html_before = shadow_html(page)
    counts_before = element_counts(page)

    page.evaluate(
        """([texts, eventName]) => {
            const listeners = new Map();
            const player = {
                addEventListener: (name, listener) => listeners.set(name, listener),
                removeEventListener: (name) => listeners.delete(name),
            };
            document.getElementById('count').attach(player);
            const emit = listeners.get(eventName);
            for (const text of texts) {
                emit({ type: 'TextMetadataCue', text, description: '', owner: '' });
            }
            emit(null);
            emit({ type: 'TextMetadataCue' });
            emit({ type: 'TextMetadataCue', text: 42 });
        }""",
        [[case["text"] for case in hostile_cues], CUE_EVENT],
    )

    assert shadow_html(page) == html_before
    assert element_counts(page) == counts_before
    assert page.evaluate("window.__pwned") is None
    assert harness.page_errors == []


def test_element_attach_and_detach(harness):
    page = harness.page
    result = page.evaluate(
        """([text, eventName]) => {
            const listeners = new Map();
            const player = {
                addEventListener: (name, listener) => listeners.set(name, listener),
                removeEventListener: (name, listener) => {
                    if (listeners.get(name) === listener) listeners.delete(name);
                },
            };
            const element = document.getElementById('count');
            element.attach(player);
            listeners.get(eventName)({ type: 'TextMetadataCue', text });
            const stateAfterCue = element.state;
            element.detach();
            return { stateAfterCue, listening: listeners.has(eventName) };
        }""",
        [cue_text([3, 4, 5]), CUE_EVENT],
    )
    assert result == {"stateAfterCue": "live", "listening": False}


def test_attach_uses_sdk_event_name(harness):
    event_names = harness.page.evaluate(
        """() => {
            window.IVSPlayer = { PlayerEventType: { TEXT_METADATA_CUE: 'SdkCueEvent' } };
            const names = [];
            const player = { addEventListener: (name) => names.push(name) };
            document.getElementById('count').attach(player);
            return names;
        }"""
    )
    assert event_names == ["SdkCueEvent"]


def test_attach_rejects_non_player(harness):
    message = harness.page.evaluate(
        """() => {
            try {
                document.getElementById('count').attach({});
                return null;
            } catch (error) {
                return error.message;
            }
        }"""
    )
    assert "IVS Player instance" in message


def test_element_show_payload(harness):
    page = harness.page
    valid = json.loads(cue_text([7, 8, 9]))
    invalid = json.loads(cue_text([7, -8, 9]))
    show = "(value) => document.getElementById('count').showPayload(value)"

    assert page.evaluate(show, valid) is True
    assert page.evaluate(show, invalid) is False
    assert page.locator("#count .number").text_content() == "9"
    assert page.evaluate("document.getElementById('count').payload.counts") == [7, 8, 9]

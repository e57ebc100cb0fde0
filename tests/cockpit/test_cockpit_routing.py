"""The Routing section in headless Chromium: the rules from the real `sbc routes list
--json` (through the fake sbc) on the fixture's sbc.yaml, Add / Edit / Move / Remove
through `sbc routes add|set|move|remove --json` (validated by `sbc check`'s code; the
fake systemctl records the reload) and "Test a number" through `sbc routes test`.
Screenshots in build/screenshots/routing-*.png."""

from __future__ import annotations

import os
from pathlib import Path

from cptest_rig import Cockpit
from cptest_webdriver import Browser, wait_for
from test_cockpit_page import alert, exists, open_section, text

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
MODAL = "#route-modal"
ROWS = "#routes tbody tr"


def rules(browser: Browser) -> list[list[str]]:
    """[name, from, called, calling, rewrites, to] per row, as shown."""
    return list(browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(tr => "
        "[tr.dataset.route].concat(Array.from(tr.cells).slice(2, 7)"
        ".map(td => td.innerText.trim())))", ROWS))


def names(browser: Browser) -> list[str]:
    return [r[0] for r in rules(browser)]


def systemctl(cockpit: Cockpit) -> list[str]:
    if not cockpit.log.exists():
        return []
    return [line for line in cockpit.log.read_text().splitlines() if line.startswith("systemctl")]


def load(browser: Browser, cockpit: Cockpit, expected: list[str]) -> None:
    open_section(browser, cockpit, "routing")
    wait_for(lambda: names(browser) == expected, 30, f"rules {expected}")


def modal_closed(browser: Browser) -> bool:
    return not exists(browser, MODAL)


def in_group(browser: Browser, field: str, css: str) -> bool:
    return bool(browser.script(
        "const g = document.querySelector(arguments[0]);"
        "const e = document.querySelector(arguments[1]);"
        "return Boolean(g && e && g.contains(e))", f"{MODAL} [data-field={field}]", css))


def add_inbound(browser: Browser) -> None:
    browser.click("#route-add")
    wait_for(lambda: exists(browser, MODAL), 30, "add modal")
    browser.type("#route-name", "inbound")
    browser.click("#route-from-add")
    browser.click("#route-from-0 option[value=Telekom]")
    browser.type("#route-called", r"^\+49301234567(\d\d)$")
    browser.type("#route-rewrite_called", r"+49301234567\1")
    browser.click("#route-to-0 option[value=Teams]")


def test_defaults_add_inbound_and_test_a_number(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit, ["Telekom to Teams", "Teams to Telekom"])
    assert "default routes apply" in browser.text("#routing-note")
    assert rules(browser)[0] == ["Telekom to Teams", "Telekom", "any", "any", "none",
                                 "Teams (Teams1, Teams2, Teams3)"]
    assert not exists(browser, f"{ROWS} button[data-action=edit]")  # defaults: not editable
    browser.screenshot(SHOTS / "routing-defaults.png")
    add_inbound(browser)
    assert browser.script(  # the selects list the groups and their connections
        "return Array.from(document.querySelectorAll('#route-to-0 option')).map(o => o.value)"
    ) == ["Telekom", "Teams", "Teams1", "Teams2", "Teams3"]
    browser.screenshot(SHOTS / "routing-add.png")
    browser.click("#route-submit")
    wait_for(lambda: modal_closed(browser), 30, "added")
    assert alert(browser, "#routing-message").startswith(
        "Added rule inbound: saved and applied (reload opensbc).")
    assert "default routes were written out after it" in alert(browser, "#routing-message")
    saved = cockpit.config.read_text()
    assert ("routes:\n  - name: inbound\n    from: Telekom\n"
            "    called: '^\\+49301234567(\\d\\d)$'\n"
            "    rewrite_called: '+49301234567\\1'\n    to: Teams\n") in saved
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]
    wait_for(lambda: names(browser) == ["inbound", "Telekom to Teams", "Teams to Telekom"],
             30, "the new rule first")
    assert rules(browser)[0][4] == r"called → +49301234567\1"
    browser.screenshot(SHOTS / "routing-rules.png")
    # test a number as Telekom sends it (national)
    browser.click("#route-test-from option[value=Telekom]")
    browser.type("#route-test-called-input", "030123456789")
    browser.type("#route-test-calling-input", "040 111222")
    browser.click("#route-test-run")
    wait_for(lambda: exists(browser, "#route-test-result"), 30, "the test's result")
    assert browser.property("#route-test-result", "dataset")["route"] == "inbound"
    assert "Rule 1, inbound, takes this call" in alert(browser, "#route-test-result")
    assert text(browser, "#route-test-called") == "+4930123456789 (unchanged)"
    assert text(browser, "#route-test-calling").startswith("+4940111222")
    targets = browser.script("return Array.from(document.querySelectorAll("
                             "'#route-test-targets li')).map(li => li.textContent)")
    assert targets == [f"{t} sees the call to +4930123456789 from +4940111222{skip}"
                       for t, skip in (("Teams1", ""),
                                       ("Teams2", " skipped now: its OPTIONS are failing"),
                                       ("Teams3", ""))]  # Teams2 is down in the status
    browser.script("document.querySelector('#route-test').scrollIntoView()")
    browser.screenshot(SHOTS / "routing-test.png")
    # a rewrite that changes the number: the captured 89 after a new prefix
    browser.click(f"{ROWS}[data-route=inbound] button[data-action=edit]")
    wait_for(lambda: browser.property("#route-called", "value"), 30, "edit form")
    browser.type("#route-rewrite_called", r"+493012345600\1")
    browser.click("#route-submit")
    wait_for(lambda: modal_closed(browser), 30, "saved")  # the result follows by itself
    wait_for(lambda: "rewritten from +4930123456789" in text(browser, "#route-test-called"),
             30, "rewritten")
    assert text(browser, "#route-test-called") == (
        "+49301234560089 (rewritten from +4930123456789)")
    # a call no rule takes
    browser.click("#route-test-from option[value=Teams2]")
    browser.type("#route-test-called-input", "abc")
    browser.click("#route-test-run")
    wait_for(lambda: "484" in alert(browser, "#route-test-result"), 30, "no route")
    assert "No route: the caller gets 484" in alert(browser, "#route-test-result")


def test_bad_regex_under_its_field_file_unchanged(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit, ["Telekom to Teams", "Teams to Telekom"])
    before = cockpit.config.read_bytes()
    add_inbound(browser)
    browser.type("#route-called", r"^\+49(30")
    browser.click("#route-submit")
    wait_for(lambda: exists(browser, "#route-called-error"), 30, "the regex error")
    assert browser.text("#route-called-error").startswith(
        "bad regular expression: missing ), unterminated subpattern")
    assert in_group(browser, "called", "#route-called-error")
    assert browser.property("#route-called", "ariaInvalid") == "true"
    assert browser.property("#route-name", "ariaInvalid") == "false"
    assert not exists(browser, "#route-errors")  # nothing else wrong
    assert not modal_closed(browser)
    browser.screenshot(SHOTS / "routing-bad-regex.png")
    assert cockpit.config.read_bytes() == before  # byte for byte
    assert systemctl(cockpit) == []
    # a rewrite with a group its regex does not have: under the rewrite
    browser.type("#route-called", r"^\+4930(\d+)$")
    browser.type("#route-rewrite_called", r"+4930\2")
    browser.click("#route-submit")
    wait_for(lambda: exists(browser, "#route-rewrite_called-error"), 30, "the rewrite error")
    assert not exists(browser, "#route-called-error")
    assert cockpit.config.read_bytes() == before
    browser.click("#route-cancel")
    wait_for(lambda: modal_closed(browser), 30, "cancelled")


def test_move_and_remove(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.config.write_text(cockpit.config.read_text() + (
        "routes:\n  # calls to the PBX range\n  - name: inbound\n    from: Telekom\n"
        "    called: '^\\+4930123456'\n    to: Teams\n  - name: outbound\n    from: Teams\n"
        "    to: Telekom\n  - name: rest\n    to: [Teams, Telekom]\n"))
    load(browser, cockpit, ["inbound", "outbound", "rest"])
    assert browser.property(f"{ROWS}[data-route=inbound] button[data-action=up]", "disabled")
    browser.click(f"{ROWS}[data-route=rest] button[data-action=up]")
    wait_for(lambda: names(browser) == ["inbound", "rest", "outbound"], 30, "moved up")
    assert alert(browser, "#routing-message") == (
        "Moved rule rest to position 2: saved and applied (reload opensbc).")
    assert text(browser, f"{ROWS}[data-route=outbound] .route-shadowed") == (
        "never matches: rest takes these calls first")
    assert not exists(browser, f"{ROWS}[data-route=inbound] .route-shadowed")
    assert rules(browser)[1][5] == "Teams (Teams1, Teams2, Teams3), then Telekom"
    browser.click(f"{ROWS}[data-route=inbound] button[data-action=down]")
    wait_for(lambda: names(browser) == ["rest", "inbound", "outbound"], 30, "moved down")
    saved = cockpit.config.read_text()
    routes = saved[saved.index("\nroutes:"):]
    assert routes.index("- name: rest") < routes.index("# calls to the PBX range") < (
        routes.index("- name: inbound"))  # the comment moved with its rule
    browser.screenshot(SHOTS / "routing-moved.png")
    browser.click(f"{ROWS}[data-route=rest] button[data-action=remove]")
    wait_for(lambda: exists(browser, "#route-remove-modal"), 30, "confirmation")
    browser.screenshot(SHOTS / "routing-remove.png")
    browser.click("#route-remove-cancel")
    wait_for(lambda: not exists(browser, "#route-remove-modal"), 30, "cancelled")
    assert cockpit.config.read_text() == saved
    browser.click(f"{ROWS}[data-route=rest] button[data-action=remove]")
    wait_for(lambda: exists(browser, "#route-remove-modal"), 30, "confirmation")
    browser.click("#route-remove-confirm")
    wait_for(lambda: names(browser) == ["inbound", "outbound"], 30, "removed")
    assert "- name: rest" not in cockpit.config.read_text()
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"] * 3

"""The Connections section's "Add connection", Edit and Remove in headless Chromium: the
form comes from `sbc config profiles --json`, the changes go through the real `sbc
config add|set|remove --json` (validated by `sbc check`'s code) on the fixture's
sbc.yaml; systemctl is the fake that records. Screenshots in build/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

from cptest_rig import REPO, Cockpit
from cptest_webdriver import Browser, wait_for
from test_cockpit_page import alert, count, exists, open_section, text

SHOTS = Path(os.environ.get("OPENSBC_SCREENSHOTS", "build/screenshots"))
EXAMPLE = (REPO / "examples/appliance.yaml").read_text()
TELEKOM = EXAMPLE[EXAMPLE.index("  # Deutsche Telekom"):EXAMPLE.index("  # Microsoft Teams")]
TEAMS = EXAMPLE[EXAMPLE.index("  # Microsoft Teams"):EXAMPLE.index("# Routing.")]
MODAL = "#connection-modal"
ENTRIES = "#entries tbody tr"


def entries(browser: Browser) -> dict[str, list[str]]:
    """entry -> [name, profile, connections] as the table shows them."""
    rows = browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(tr => "
        "[tr.dataset.entry, Array.from(tr.cells).slice(0, 3).map(td => td.innerText.trim())])",
        ENTRIES)
    return {name: cells for name, cells in rows}


def load(browser: Browser, cockpit: Cockpit, names: list[str]) -> None:
    open_section(browser, cockpit, "connections")
    wait_for(lambda: sorted(entries(browser)) == sorted(names), 30, f"entries {names}")


def open_add(browser: Browser, profile: str) -> None:
    wait_for(lambda: browser.property("#connection-add", "disabled") is False, 30, "profiles")
    browser.click("#connection-add")
    wait_for(lambda: exists(browser, "#connection-profile"), 30, "add modal")
    browser.click(f"#connection-profile option[value='{profile}']")
    wait_for(lambda: exists(browser, f"{MODAL} [data-field]"), 30, "the profile's fields")


def fields(browser: Browser) -> list[str]:
    return list(browser.script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(g => g.dataset.field)",
        f"{MODAL} [data-field]"))


def label(browser: Browser, field: str) -> str:
    return str(browser.script(
        "const g = document.querySelector(arguments[0]);"
        "return g.querySelector('.pf-v5-c-form__label-text').textContent",
        f"{MODAL} [data-field={field}]"))


def in_group(browser: Browser, field: str, css: str) -> bool:
    return bool(browser.script(
        "const g = document.querySelector(arguments[0]);"
        "const e = document.querySelector(arguments[1]);"
        "return Boolean(g && e && g.contains(e))", f"{MODAL} [data-field={field}]", css))


def modal_closed(browser: Browser) -> bool:
    return not exists(browser, MODAL)


def systemctl(cockpit: Cockpit) -> list[str]:
    if not cockpit.log.exists():
        return []
    return [line for line in cockpit.log.read_text().splitlines() if line.startswith("systemctl")]


def test_add_telekom_from_its_profile(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.config.write_text(EXAMPLE.replace(TELEKOM, ""))
    load(browser, cockpit, ["Teams"])
    assert entries(browser)["Teams"] == [
        "Teams", "Microsoft Teams (Generic)",
        "Teams1: sip.pstnhub.microsoft.com:5061\nTeams2: sip2.pstnhub.microsoft.com:5061\n"
        "Teams3: sip3.pstnhub.microsoft.com:5061"]
    open_add(browser, "telekom-deutschlandlan")
    labels = browser.script(
        "return Array.from(document.querySelectorAll('#connection-profile option'))"
        ".map(o => o.textContent)")
    assert labels == ["Deutsche Telekom DeutschlandLAN SIP-Trunk", "Generic SIP peer",
                      "Microsoft Teams (Generic)"]  # the profiles' labels
    assert browser.property("#connection-name", "value") == "Telekom"  # from the profile
    assert fields(browser) == ["line_number", "auth_user", "password", "transport", "domain",
                               "expires", "allowlist", "options", "number_format", "srtp",
                               "identity", "emergency_numbers", "location"]
    assert [label(browser, f) for f in ("line_number", "auth_user", "password", "transport")] == [
        "Registrierungsrufnummer", "Telefonie-Benutzername", "Telefonie-Passwort",
        "Transport (TCP; TLS if ordered)"]
    assert browser.property("#conn-field-password", "type") == "password"
    assert browser.property("#conn-field-transport", "tagName") == "SELECT"
    assert browser.script("return Array.from(document.querySelector('#conn-field-transport')"
                          ".options).map(o => o.value)") == ["tcp", "tls"]
    assert browser.property("#conn-field-transport", "value") == "tcp"  # the default
    assert browser.property("#conn-field-options", "type") == "checkbox"  # a switch
    assert browser.property("#conn-field-options", "checked") is True
    assert browser.property("#conn-field-allowlist", "tagName") == "TEXTAREA"
    assert "One per line or comma-separated" in browser.text("#conn-field-allowlist-help")
    assert browser.text("#conn-field-line_number-help") == (
        "AOR user (From, To, REGISTER). E.164, e.g. +4930123456.")
    assert browser.text("#conn-field-expires-help") == (
        "Registration lifetime asked for. 60..86400 seconds.")
    assert not exists(browser, "#conn-field-transport-help")  # "udp, tcp or tls" says less
    assert in_group(browser, "line_number", "#conn-field-line_number-help")
    assert browser.property("#conn-field-expires", "placeholder") == "480 (default)"
    assert "reg.sip-trunk.telekom.de" in browser.text("#connection-profile-help")
    assert not exists(browser, "#connection-expand")  # one connection, nothing to list
    browser.type("#conn-field-line_number", "+49301234567")
    browser.type("#conn-field-auth_user", "551234567890")
    browser.type("#conn-field-password", "Telefonie-Passwort 1")
    browser.screenshot(SHOTS / "connections-add-telekom.png")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "modal closed")
    assert alert(browser, "#connections-message") == (
        "Added Telekom: saved and applied (reload opensbc).")
    saved = cockpit.config.read_text()
    assert ("  - name: Telekom\n    profile: telekom-deutschlandlan\n"
            '    line_number: "+49301234567"\n    auth_user: "551234567890"\n'
            '    password: "Telefonie-Passwort 1"\n') in saved
    assert "transport" not in saved.split("name: Telekom")[1].split("#")[0]  # defaults not written
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]
    wait_for(lambda: "Telekom" in entries(browser), 30, "Telekom in the table")
    assert entries(browser)["Telekom"] == [
        "Telekom", "Deutsche Telekom DeutschlandLAN SIP-Trunk", "reg.sip-trunk.telekom.de"]
    assert count(browser, "#status tbody tr") == 3  # the status table stays
    browser.screenshot(SHOTS / "connections-entries.png")


def test_bad_line_number_is_shown_under_it(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.config.write_text(EXAMPLE.replace(TELEKOM, ""))
    before = cockpit.config.read_bytes()
    load(browser, cockpit, ["Teams"])
    open_add(browser, "telekom-deutschlandlan")
    browser.type("#conn-field-line_number", "030123456")
    browser.type("#conn-field-auth_user", "551234567890")
    browser.type("#conn-field-password", "pw")
    browser.click("#connection-submit")
    wait_for(lambda: exists(browser, "#conn-field-line_number-error"), 30, "the error")
    assert browser.text("#conn-field-line_number-error") == (
        "must be an E.164 number such as +4930123456 (got '030123456')")
    assert in_group(browser, "line_number", "#conn-field-line_number-error")
    assert browser.property("#conn-field-line_number", "ariaInvalid") == "true"
    assert browser.property("#conn-field-auth_user", "ariaInvalid") == "false"
    assert not exists(browser, "#conn-field-auth_user-error")
    assert not exists(browser, "#connection-errors")  # no other error
    assert not modal_closed(browser)
    browser.screenshot(SHOTS / "connections-add-invalid.png")
    assert cockpit.config.read_bytes() == before  # byte for byte
    assert systemctl(cockpit) == []
    # a name taken already is the name's error
    browser.type("#conn-field-line_number", "+4930123456")
    browser.type("#connection-name", "Teams")
    browser.click("#connection-submit")
    wait_for(lambda: exists(browser, "#connection-name-error"), 30, "name error")
    assert "there is a connection 'Teams' already" in browser.text("#connection-name-error")
    assert not exists(browser, "#conn-field-line_number-error")
    browser.click("#connection-cancel")
    wait_for(lambda: modal_closed(browser), 30, "cancelled")
    assert cockpit.config.read_bytes() == before


def test_add_teams_shows_its_three_connections(browser: Browser, cockpit: Cockpit) -> None:
    cockpit.config.write_text(EXAMPLE.replace(TEAMS, ""))
    load(browser, cockpit, ["Telekom"])
    open_add(browser, "teams-generic")
    assert browser.property("#connection-name", "value") == "Teams"
    listed = browser.script(
        "return Array.from(document.querySelectorAll('#connection-expand li'))"
        ".map(li => li.textContent)")
    assert listed == ["Teams1: sip.pstnhub.microsoft.com:5061",
                      "Teams2: sip2.pstnhub.microsoft.com:5061",
                      "Teams3: sip3.pstnhub.microsoft.com:5061"]
    assert fields(browser) == ["allowlist", "options", "media_bypass"]
    assert browser.property("#conn-field-allowlist", "placeholder") == (
        "52.112.0.0/14, 52.120.0.0/14 (default)")
    assert label(browser, "media_bypass") == (
        "Media bypass (Teams clients send audio straight to the SBC)")
    assert browser.property("#conn-field-media_bypass", "type") == "checkbox"  # a switch
    assert browser.property("#conn-field-media_bypass", "checked") is False
    assert browser.text("#conn-field-media_bypass-help").startswith(
        "Teams media bypass: Teams clients send media straight to sbc.public_ip")
    assert not exists(browser, "#connection-bypass")  # off, as by default
    browser.screenshot(SHOTS / "connections-add-teams.png")
    browser.type("#connection-name", "MSTeams")  # the list follows the name
    wait_for(lambda: "MSTeams1: sip.pstnhub.microsoft.com:5061" in text(
        browser, "#connection-expand"), 10, "renamed")
    browser.type("#connection-name", "Teams")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "added")
    assert "  - name: Teams\n    profile: teams-generic\n" in cockpit.config.read_text()
    wait_for(lambda: "Teams" in entries(browser), 30, "Teams in the table")
    assert entries(browser)["Teams"][2].splitlines() == [
        "Teams1: sip.pstnhub.microsoft.com:5061", "Teams2: sip2.pstnhub.microsoft.com:5061",
        "Teams3: sip3.pstnhub.microsoft.com:5061"]


def test_media_bypass_switched_on_and_off(browser: Browser, cockpit: Cockpit) -> None:
    """The Teams entry's switch: a note says what else it needs, a reload applies it, and
    the Teams section's PowerShell follows."""
    load(browser, cockpit, ["Telekom", "Teams"])
    browser.click("#entries tr[data-entry=Teams] button[data-action=edit]")
    wait_for(lambda: exists(browser, "#conn-field-media_bypass"), 30, "edit form")
    assert browser.property("#conn-field-media_bypass", "checked") is False
    browser.click("label[for=conn-field-media_bypass]")  # the switch: on
    wait_for(lambda: exists(browser, "#connection-bypass"), 10, "the note")
    note = browser.text("#connection-bypass")
    assert "must be a public address" in note and "open from anywhere" in note
    assert browser.script("return document.querySelector('#connection-bypass code')"
                          ".textContent") == "sbc doctor"
    assert "Set-CsOnlinePSTNGateway -Identity <SBC FQDN> -MediaBypass $true" in note
    browser.screenshot(SHOTS / "connections-media-bypass.png")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "saved")
    assert alert(browser, "#connections-message") == (
        "Changed Teams: saved and applied (reload opensbc).")
    assert "    profile: teams-generic\n" in cockpit.config.read_text()
    assert "    media_bypass: true\n" in cockpit.config.read_text()
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]
    open_section(browser, cockpit, "teams")
    wait_for(lambda: exists(browser, "#teams-code"), 30, "PowerShell")
    assert "-MediaBypass $true -Enabled $true" in text(browser, "#teams-code")
    # the example's public_ip is a documentation address: the page warns before it is run
    assert "media bypass is on, but sbc.public_ip 203.0.113.10 is a documentation address" \
        in browser.text("#teams-warnings")
    load(browser, cockpit, ["Telekom", "Teams"])
    browser.click("#entries tr[data-entry=Teams] button[data-action=edit]")
    wait_for(lambda: browser.property("#conn-field-media_bypass", "checked"), 30, "edit form")
    assert not exists(browser, "#connection-bypass")  # as saved: nothing to say
    browser.click("label[for=conn-field-media_bypass]")  # off again
    wait_for(lambda: exists(browser, "#connection-bypass"), 10, "the note")
    assert "-MediaBypass $false" in browser.text("#connection-bypass")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "saved")
    assert "    media_bypass: false\n" in cockpit.config.read_text()


def test_edit_a_password(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit, ["Telekom", "Teams"])
    browser.click("#entries tr[data-entry=Telekom] button[data-action=edit]")
    wait_for(lambda: browser.property("#conn-field-line_number", "value"), 30, "edit form")
    assert browser.text(f"{MODAL} h1").endswith("Edit connection Telekom")
    assert browser.property("#conn-field-line_number", "value") == "+49301234567"
    assert browser.property("#conn-field-auth_user", "value") == "551234567890"
    assert browser.property("#conn-field-password", "value") == ""  # never shown
    assert browser.property("#conn-field-password", "placeholder") == "unchanged"
    assert browser.property("#connection-name", "disabled") is True
    assert browser.property("#connection-profile", "disabled") is True
    before = cockpit.config.read_text()
    browser.click("#connection-submit")  # nothing typed: nothing sent
    wait_for(lambda: modal_closed(browser), 30, "closed")
    assert alert(browser, "#connections-message") == "Nothing changed."
    assert cockpit.config.read_text() == before
    browser.click("#entries tr[data-entry=Telekom] button[data-action=edit]")
    wait_for(lambda: browser.property("#conn-field-line_number", "value"), 30, "edit form")
    browser.type("#conn-field-password", "n3w secret")
    browser.screenshot(SHOTS / "connections-edit.png")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "saved")
    assert alert(browser, "#connections-message") == (
        "Changed Telekom: saved and applied (reload opensbc).")
    assert cockpit.config.read_text() == before.replace(
        'password: "CHANGE-ME"', 'password: "n3w secret"')
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]
    # another field; the password stays
    browser.click("#entries tr[data-entry=Telekom] button[data-action=edit]")
    wait_for(lambda: browser.property("#conn-field-line_number", "value"), 30, "edit form")
    browser.click("#conn-field-transport option[value=tls]")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "saved")
    saved = cockpit.config.read_text()
    assert 'password: "n3w secret"' in saved and "    transport: tls\n" in saved


def test_edit_error_under_its_field(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit, ["Telekom", "Teams"])
    before = cockpit.config.read_bytes()
    browser.click("#entries tr[data-entry=Teams] button[data-action=edit]")
    wait_for(lambda: exists(browser, "#conn-field-allowlist"), 30, "edit form")
    browser.type("#conn-field-allowlist", "52.112.0.0/14\nnot-a-network")
    browser.click("#connection-submit")
    wait_for(lambda: exists(browser, "#conn-field-allowlist-error"), 30, "the error")
    assert "not-a-network" in browser.text("#conn-field-allowlist-error")
    assert cockpit.config.read_bytes() == before
    browser.type("#conn-field-allowlist", "52.112.0.0/14, 52.120.0.0/14, 192.0.2.0/24")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "saved")
    assert "    allowlist: [52.112.0.0/14, 52.120.0.0/14, 192.0.2.0/24]\n" in (
        cockpit.config.read_text())


def test_remove_after_confirming(browser: Browser, cockpit: Cockpit) -> None:
    load(browser, cockpit, ["Telekom", "Teams"])
    before = cockpit.config.read_text()
    browser.click("#entries tr[data-entry=Teams] button[data-action=remove]")
    wait_for(lambda: exists(browser, "#remove-modal"), 30, "confirmation")
    assert " ".join(browser.text("#remove-what").split()) == (
        "The entry Teams (Microsoft Teams (Generic)) and its settings are deleted from "
        "sbc.yaml; its connections Teams1, Teams2 and Teams3 stop.")
    browser.screenshot(SHOTS / "connections-remove.png")
    browser.click("#remove-cancel")
    wait_for(lambda: not exists(browser, "#remove-modal"), 30, "cancelled")
    assert cockpit.config.read_text() == before
    browser.click("#entries tr[data-entry=Telekom] button[data-action=remove]")
    wait_for(lambda: exists(browser, "#remove-modal"), 30, "confirmation")
    assert "the SBC stops using it" in browser.text("#remove-what")
    browser.click("#remove-confirm")
    wait_for(lambda: not exists(browser, "#remove-modal"), 30, "removed")
    assert alert(browser, "#connections-message") == (
        "Removed Telekom: saved and applied (reload opensbc).")
    saved = cockpit.config.read_text()
    assert "name: Telekom" not in saved and "  - name: Teams\n" in saved
    wait_for(lambda: list(entries(browser)) == ["Teams"], 30, "Telekom gone from the table")
    assert systemctl(cockpit) == ["systemctl reload-or-restart opensbc.service"]


def test_generic_peer_with_an_allowlist(browser: Browser, cockpit: Cockpit) -> None:
    """Selects, switches and a list typed comma-separated; an error the loader names by
    another field (registration needs a user name) lands under that field."""
    load(browser, cockpit, ["Telekom", "Teams"])
    before = cockpit.config.read_bytes()
    open_add(browser, "generic")
    assert browser.property("#connection-name", "value") == "Generic"
    browser.type("#connection-name", "PBX")
    browser.type("#conn-field-host", "pbx.lab.test")
    browser.click("#conn-field-transport option[value=tcp]")
    browser.type("#conn-field-allowlist", "192.0.2.0/24, 198.51.100.7\n2001:db8::/32")
    browser.click("label[for=conn-field-register]")  # the switch: on
    browser.click("#connection-submit")
    wait_for(lambda: exists(browser, "#conn-field-username-error"), 30, "user name error")
    assert browser.text("#conn-field-username-error") == "registration needs a user name"
    browser.script("document.querySelector('#conn-field-username').scrollIntoView()")
    browser.screenshot(SHOTS / "connections-add-generic.png")
    assert cockpit.config.read_bytes() == before
    browser.type("#conn-field-username", "4930123")
    browser.click("#connection-submit")
    wait_for(lambda: modal_closed(browser), 30, "added")
    saved = cockpit.config.read_text()
    assert ("  - name: PBX\n    profile: generic\n    host: pbx.lab.test\n    transport: tcp\n"
            '    username: "4930123"\n    register: true\n'
            '    allowlist: [192.0.2.0/24, 198.51.100.7, "2001:db8::/32"]\n') in saved
    wait_for(lambda: "PBX" in entries(browser), 30, "PBX in the table")
    assert entries(browser)["PBX"] == ["PBX", "Generic SIP peer", "pbx.lab.test"]

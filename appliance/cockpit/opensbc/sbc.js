/* OpenSBC page for Cockpit. Plain JavaScript on cockpit.js, no build step.
 *
 * Everything comes from the appliance's own commands, so the page shows and changes
 * exactly what the console shows and changes:
 *   sbc status --json                      connection status, calls (and trace state)
 *   journalctl -u opensbc -n 50 -o cat     recent log lines
 *   sbc trace start | stop                 the SIP trace; the pcap is read with cockpit.file
 *   sbc config show --json                 VoIP parameters: values, defaults, help
 *   sbc config set --json KEY=VALUE ...    validated by sbc.config (the code `sbc check`
 *                                          runs), saved only if valid, then applied
 */
(function () {
    "use strict";

    var CONFIG = ["sbc", "config"];
    // Form field -> the setting it edits (`sbc config show` names them).
    var SETTINGS = {
        fqdn: "sbc.fqdn",
        public_ip: "sbc.public_ip",
        wan_ip: "sbc.wan_ip",
        tls_port: "sbc.tls_port",
        options_interval: "sbc.options_interval"
    };
    var FIELDS = Object.keys(SETTINGS);
    var REFRESH_MS = 10000;
    var tracePath = null;

    function $(id) { return document.getElementById(id); }

    /* --- pure formatting: status JSON -> cell texts and classes ---------------- */

    function formatTime(iso) {
        if (!iso)
            return "";
        return String(iso).replace("T", " ").replace(/\.\d+/, "").replace(/Z$/, " UTC");
    }

    function cell(text, cls, title) {
        return { text: text, cls: cls || "", title: title || "" };
    }

    function registrationCell(reg) {
        if (!reg)
            return cell("not used");
        var state = reg.state || "unknown";
        var text = state + (reg.code ? " (" + reg.code + ")" : "");
        var cls = state === "registered" ? "ok" : (state === "pending" ? "warn" : "bad");
        return cell(text, cls, reg.expires_at ? "until " + formatTime(reg.expires_at) : "");
    }

    function optionsOutCell(out) {
        if (!out)
            return cell("off");
        var parts = [out.status || "unknown"];
        if (out.code)
            parts.push(String(out.code));
        if (out.rtt_ms !== null && out.rtt_ms !== undefined)
            parts.push(out.rtt_ms + " ms");
        var cls = out.status === "up" ? "ok" : (out.status === "down" ? "bad" : "warn");
        return cell(parts.join(" · "), cls, out.since ? "since " + formatTime(out.since) : "");
    }

    function optionsInCell(inbound) {
        if (!inbound || !inbound.last_seen)
            return cell("never", "warn");
        return cell(formatTime(inbound.last_seen), "ok");
    }

    function certificateCell(cert) {
        if (!cert)
            return cell("—");
        var days = cert.days_left;
        var until = cert.not_after ? String(cert.not_after).slice(0, 10) : "";
        if (days !== null && days !== undefined && days < 0)
            return cell("expired " + until, "bad", cert.subject);
        var text = (days === null || days === undefined ? "" : days + " days left ") +
            (until ? "(" + until + ")" : "");
        return cell(text.trim(), days !== undefined && days < 30 ? "warn" : "ok", cert.subject);
    }

    function statusRows(status) {
        return (status.connections || []).map(function (c) {
            return {
                name: c.name,
                cells: [
                    cell(c.name), cell(c.transport || ""), cell(c.target || ""),
                    registrationCell(c.registration), optionsOutCell(c.options_out),
                    optionsInCell(c.options_in), certificateCell(c.certificate)
                ]
            };
        });
    }

    /* --- calls: counters and active calls (absent from older SBC versions) ------- */

    function clock(seconds) {
        var s = Math.max(0, Math.floor(Number(seconds) || 0));
        var h = Math.floor(s / 3600);
        var m = Math.floor((s % 3600) / 60);
        var pad = function (n) { return (n < 10 ? "0" : "") + n; };
        return h ? h + ":" + pad(m) + ":" + pad(s % 60) : m + ":" + pad(s % 60);
    }

    function causes(counts) {
        if (!counts || typeof counts !== "object")
            return "";
        return Object.keys(counts).sort()
                .filter(function (k) { return counts[k]; })
                .map(function (k) { return k + " " + counts[k]; })
                .join(", ");
    }

    function countersText(calls) {
        if (!calls || typeof calls !== "object")
            return "This SBC version does not report calls.";
        var c = calls.counters || {};
        var parts = [(c.attempted || 0) + " attempted", (c.answered || 0) + " answered",
            (c.active || 0) + " active"];
        var failed = causes(c.failed);
        var dropped = causes(c.dropped);
        if (failed)
            parts.push("failed: " + failed);
        if (dropped)
            parts.push("dropped: " + dropped);
        return parts.join(" · ");
    }

    function legText(leg) {
        var text = leg.connection || "?";
        if (leg.state && leg.state !== "confirmed")
            text += " (" + leg.state + ")";
        if (leg.media)
            text += " " + leg.media;
        return text;
    }

    function callRows(status) {
        var calls = status && status.calls;
        var active = calls && Array.isArray(calls.active) ? calls.active : [];
        return active.filter(function (c) { return c && typeof c === "object"; })
                .map(function (c) {
                    var legs = Array.isArray(c.legs) ? c.legs.filter(Boolean) : [];
                    var answered = c.duration_s !== null && c.duration_s !== undefined;
                    var duration = answered ? clock(c.duration_s)
                        : (c.age_s !== null && c.age_s !== undefined ? "(" + clock(c.age_s) + ")"
                            : "");
                    var ids = legs.map(function (l) { return (l.tag || "?") + ": " + (l.call_id || ""); });
                    return {
                        id: String(c.id || ""),
                        cells: [
                            cell(c.calling || "anonymous"), cell(c.called || ""),
                            cell(c.state || "unknown", c.state === "answered" ? "ok" : "warn"),
                            cell(c.route || "—"),
                            cell(duration, "", c.answered ? "answered " + formatTime(c.answered)
                                : (c.started ? "since " + formatTime(c.started) : "")),
                            cell(legs.map(legText).join(" ↔ "), "", ids.join("\n"))
                        ]
                    };
                });
    }

    function fillRows(body, rows, attribute, key) {
        body.textContent = "";
        rows.forEach(function (row) {
            var tr = document.createElement("tr");
            tr.setAttribute(attribute, row[key]);
            row.cells.forEach(function (c) {
                var td = document.createElement("td");
                td.textContent = c.text;
                if (c.cls)
                    td.className = c.cls;
                if (c.title)
                    td.title = c.title;
                tr.appendChild(td);
            });
            body.appendChild(tr);
        });
    }

    function renderCalls(status) {
        var rows = callRows(status);
        $("calls-counters").textContent = countersText(status.calls);
        fillRows($("calls-table").tBodies[0], rows, "data-call", "id");
        $("calls-table").hidden = rows.length === 0;
        $("calls-note").textContent = status.calls && !rows.length ? "No active calls." : "";
    }

    /* --- connection status ------------------------------------------------------ */

    function renderStatus(status) {
        fillRows($("status").tBodies[0], statusRows(status), "data-connection", "name");
        renderCalls(status);
        var sbc = status.sbc || {};
        var note = (status.connections || []).length + " connections";
        if (sbc.fqdn)
            note = sbc.fqdn + ": " + note;
        if (status.generated_at)
            note += ", as of " + formatTime(status.generated_at);
        $("status-note").textContent = note;
        var trace = status.trace || {};
        if (trace.path)
            tracePath = trace.path;
        if (trace.active !== undefined)
            $("trace-state").textContent = trace.active ? "running" : "stopped";
    }

    function loadStatus() {
        return cockpit.spawn(["sbc", "status", "--json"], { err: "message", superuser: "try" })
                .then(function (out) { renderStatus(JSON.parse(out)); })
                .catch(function (ex) {
                    $("status-note").textContent = "sbc status failed: " + (ex.message || ex);
                });
    }

    /* --- log -------------------------------------------------------------------- */

    function loadLog() {
        return cockpit.spawn(["journalctl", "-u", "opensbc", "-n", "50", "-o", "cat", "--no-pager"],
                             { err: "message", superuser: "try" })
                .then(function (out) { $("log").textContent = out || "(no log lines yet)"; })
                .catch(function (ex) { $("log").textContent = "journalctl failed: " + ex.message; });
    }

    /* --- SIP trace -------------------------------------------------------------- */

    function trace(action) {
        $("trace-message").textContent = (action === "start" ? "Starting" : "Stopping") +
            " the trace ...";
        return cockpit.spawn(["sbc", "trace", action], { err: "message", superuser: "try" })
                .then(function (out) {
                    $("trace-message").textContent = out.trim() || ("trace " + action + ": done");
                    $("trace-state").textContent = action === "start" ? "running" : "stopped";
                })
                .catch(function (ex) {
                    $("trace-message").textContent = "sbc trace " + action + " failed: " + ex.message;
                });
    }

    function download() {
        if (!tracePath) {
            $("trace-message").textContent = "The trace file's location is not known yet.";
            return;
        }
        cockpit.file(tracePath, { binary: true, superuser: "try" }).read()
                .then(function (data) {
                    if (!data) {
                        $("trace-message").textContent = "No trace file yet: " + tracePath;
                        return;
                    }
                    var blob = new Blob([data], { type: "application/vnd.tcpdump.pcap" });
                    var link = document.createElement("a");
                    link.href = URL.createObjectURL(blob);
                    link.download = tracePath.split("/").pop();
                    document.body.appendChild(link);
                    link.click();
                    link.remove();
                    $("trace-message").textContent = "Downloaded " + tracePath + " (" +
                        data.length + " bytes).";
                })
                .catch(function (ex) {
                    $("trace-message").textContent = "Reading " + tracePath + " failed: " + ex.message;
                });
    }

    /* --- VoIP parameters -------------------------------------------------------- */

    // The form field an error names: its setting, or the TLS port for sbc.listen[...].
    function fieldOf(issue) {
        var name = issue.field || "";
        return FIELDS.filter(function (f) {
            return name === SETTINGS[f] ||
                (f === "tls_port" && name.indexOf("sbc.listen") === 0);
        })[0];
    }

    function listItems(list, issues) {
        list.textContent = "";
        issues.forEach(function (issue) {
            var li = document.createElement("li");
            li.textContent = issue.text;
            list.appendChild(li);
        });
    }

    function showAnswer(answer, done) {
        FIELDS.forEach(function (f) {
            $(f).classList.remove("invalid");
            $(f + "-error").textContent = "";
        });
        var errors = answer.errors || [];
        errors.forEach(function (issue) {
            var f = fieldOf(issue);
            if (!f)
                return;
            $(f).classList.add("invalid");
            $(f + "-error").textContent = issue.message;
        });
        listItems($("voip-errors"), errors);
        listItems($("voip-warnings"), answer.warnings || []);
        $("voip-message").textContent = answer.ok ? done
            : (answer.saved ? "Saved, but applying failed (see above)."
                : "Not saved: fix the fields marked above.");
    }

    function fillForm(settings) {
        FIELDS.forEach(function (f) {
            var v = (settings[SETTINGS[f]] || {}).value;  // the default when not given
            $(f).value = v === null || v === undefined ? "" : String(v);
        });
        var trace = settings["trace.path"];
        if (trace && trace.value && !tracePath)
            tracePath = trace.value;
    }

    function loadVoip() {
        return cockpit.spawn(CONFIG.concat(["show", "--json"]), { err: "message", superuser: "try" })
                .then(function (out) {
                    var answer = JSON.parse(out);
                    if (answer.ok)
                        fillForm(answer.settings);
                    else
                        showAnswer(answer, "");
                })
                .catch(function (ex) { $("voip-message").textContent = "Reading failed: " + ex.message; });
    }

    function savedText(answer) {
        if (!answer.saved)
            return "Nothing changed.";
        if (answer.applied && answer.applied.length)
            return "Saved and applied: " + answer.applied.join(", ") + ".";
        return "Saved.";
    }

    function submitVoip(save) {
        var args = CONFIG.concat(["set", "--json"]);
        if (!save)
            args.push("--dry-run");
        FIELDS.forEach(function (f) { args.push(SETTINGS[f] + "=" + $(f).value.trim()); });
        $("voip-message").textContent = save ? "Saving ..." : "Checking ...";
        return cockpit.spawn(args, { err: "message", superuser: "try" })
                .then(function (out) {
                    var answer = JSON.parse(out);
                    showAnswer(answer, save ? savedText(answer) : "The configuration is valid.");
                })
                .catch(function (ex) { $("voip-message").textContent = "Failed: " + ex.message; });
    }

    /* --- start ------------------------------------------------------------------ */

    function init() {
        $("status-refresh").addEventListener("click", loadStatus);
        $("log-refresh").addEventListener("click", loadLog);
        $("trace-start").addEventListener("click", function () { trace("start").then(loadStatus); });
        $("trace-stop").addEventListener("click", function () { trace("stop").then(loadStatus); });
        $("trace-download").addEventListener("click", download);
        $("voip-check").addEventListener("click", function () { submitVoip(false); });
        $("voip-save").addEventListener("click", function () { submitVoip(true); });
        loadStatus();
        loadVoip();
        loadLog();
        window.setInterval(loadStatus, REFRESH_MS);
        cockpit.transport.wait(function () { document.body.setAttribute("data-ready", "1"); });
    }

    window.OpenSBC = {
        formatTime: formatTime,
        statusRows: statusRows,
        registrationCell: registrationCell,
        optionsOutCell: optionsOutCell,
        certificateCell: certificateCell,
        callRows: callRows,
        countersText: countersText,
        clock: clock
    };

    document.addEventListener("DOMContentLoaded", init);
}());

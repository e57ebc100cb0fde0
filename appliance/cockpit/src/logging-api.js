/* The Logging section's commands (in sbc.js's style: every call resolves to
 * {ok, out, err, exitStatus, problem[, json]}) and the pure reading of the journal.
 *
 * The SBC writes its events to /dev/log in syslog(3)'s form (sbc.logs.local_format), so
 * the journal has PRIORITY, SYSLOG_IDENTIFIER and MESSAGE but no structured fields: the
 * connection a line is about is found by its name in the text ("Teams1: OPTIONS status
 * down (...)", a CDR's source=Telekom target=Teams1). */
import { run, runJson } from './sbc.js';

export const SYSLOG_FIELDS = ['host', 'port', 'protocol', 'ca_file', 'facility', 'hostname'];

export const configShow = () => runJson(['sbc', 'config', 'show', '--json']);
export const profiles = () => runJson(['sbc', 'config', 'profiles', '--json']);
export const syslogSet = assignments => runJson(['sbc', 'config', 'set', '--json', ...assignments]);
// No remote target: the whole `syslog:` section goes (the SBC then logs to the journal only).
export const syslogRemove = () => runJson(['sbc', 'config', 'remove', '--json', 'syslog']);
export const JOURNAL_LINES = 500;
export const journal = () => run(['journalctl', '-u', 'opensbc', '-o', 'json', '-n',
    String(JOURNAL_LINES), '--all', '--no-pager']);

/* --- the journal --------------------------------------------------------------------- */

// RFC 5424 severities as the table shows them; level as format.js's cells.
export const SEVERITIES = [
    { name: 'emerg', label: 'Emergency', level: 'bad' },
    { name: 'alert', label: 'Alert', level: 'bad' },
    { name: 'crit', label: 'Critical', level: 'bad' },
    { name: 'err', label: 'Error', level: 'bad' },
    { name: 'warning', label: 'Warning', level: 'warn' },
    { name: 'notice', label: 'Notice', level: 'info' },
    { name: 'info', label: 'Info', level: '' },
    { name: 'debug', label: 'Debug', level: '' },
];

// The severity filter: the highest PRIORITY number shown.
export const SEVERITY_FILTERS = [
    { value: 'all', label: 'All severities', max: 7 },
    { value: 'warning', label: 'Warnings and errors', max: 4 },
    { value: 'err', label: 'Errors only', max: 3 },
];

function text(value) {
    if (value === null || value === undefined)
        return '';
    if (Array.isArray(value)) // journalctl -o json gives binary or non-UTF-8 fields as bytes
        return new TextDecoder().decode(new Uint8Array(value));
    return String(value);
}

function pad(n) {
    return String(n).padStart(2, '0');
}

/* __REALTIME_TIMESTAMP (microseconds since the epoch, as text) as "YYYY-MM-DD hh:mm:ss" UTC. */
export function journalTime(usec) {
    const ms = Number(usec) / 1000;
    if (!usec || !Number.isFinite(ms))
        return '';
    const d = new Date(ms);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
        pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
}

function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/* The connection names a message mentions, as whole words (connection names are letters,
 * digits, '-' and '_'; the SBC compares them ignoring case). */
export function connectionsIn(message, names) {
    const found = [];
    for (const name of names) {
        const re = new RegExp('(^|[^A-Za-z0-9_-])' + escapeRe(name) + '(?![A-Za-z0-9_-])', 'i');
        if (re.test(message))
            found.push(name);
    }
    return found;
}

// Control characters (an escape sequence in a message) are left out of the table.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/* `journalctl -o json` output (one object per line) as rows, newest first:
 * {key, time, usec, priority, severity, identifier, message}. */
export function parseJournal(out) {
    const rows = [];
    for (const line of String(out || '').split('\n')) {
        if (!line.trim())
            continue;
        let entry;
        try {
            entry = JSON.parse(line);
        } catch (e) {
            continue; // a line cut short: skip it, keep the rest
        }
        const priority = Number.parseInt(text(entry.PRIORITY), 10);
        const p = Number.isInteger(priority) && priority >= 0 && priority <= 7 ? priority : 6;
        const message = entry.MESSAGE === null ? '(message too long to show)'
            : text(entry.MESSAGE).replace(CONTROL, '').trimEnd();
        rows.push({
            key: text(entry.__CURSOR) || String(rows.length),
            usec: text(entry.__REALTIME_TIMESTAMP),
            time: journalTime(text(entry.__REALTIME_TIMESTAMP)),
            priority: p,
            severity: SEVERITIES[p],
            identifier: text(entry.SYSLOG_IDENTIFIER),
            message,
        });
    }
    return rows.reverse();
}

/* The rows with the connections each names (`names` longest first). */
export function withConnections(rows, names) {
    return rows.map(r => ({ ...r, connections: connectionsIn(r.message, names) }));
}

/* The connection filter's choices from `sbc config show --json` and `sbc config profiles
 * --json`: each entry, and for one that makes several (Teams: Teams1-3) those too.
 * [{value, label, names}] where `names` are the connection names a line may carry. */
export function connectionChoices(config, catalog, running) {
    const expand = {};
    for (const p of (catalog && catalog.profiles) || [])
        expand[p.name] = (p.expand || []).map(t => t.suffix);
    const choices = [];
    const seen = new Set();
    const add = (value, label, names) => {
        if (seen.has(value.toLowerCase()))
            return;
        seen.add(value.toLowerCase());
        choices.push({ value, label, names });
    };
    for (const c of (config && config.connections) || []) {
        const suffixes = expand[c.profile] || [];
        if (suffixes.length) {
            const names = suffixes.map(s => c.name + s);
            add(c.name, c.name + ' (' + names.join(', ') + ')', names);
            for (const n of names)
                add(n, n, [n]);
        } else {
            add(c.name, c.name, [c.name]);
        }
    }
    for (const n of running || []) // what `sbc status` names, should the file differ
        add(n, n, [n]);
    return choices;
}

/* Every name a line may be matched against, longest first (Teams10 before Teams1). */
export function allNames(choices) {
    const names = new Set();
    for (const c of choices)
        for (const n of c.names)
            names.add(n);
    return [...names].sort((a, b) => b.length - a.length);
}

export function filterRows(rows, severity, connection, choices) {
    const max = (SEVERITY_FILTERS.find(f => f.value === severity) || SEVERITY_FILTERS[0]).max;
    const choice = choices.find(c => c.value === connection);
    const wanted = choice ? choice.names.map(n => n.toLowerCase()) : null;
    return rows.filter(r => r.priority <= max &&
        (!wanted || r.connections.some(n => wanted.includes(n.toLowerCase()))));
}

/* --- the syslog form ----------------------------------------------------------------- */

/* The form's values from `sbc config show --json` settings (defaults when not given). */
export function syslogValues(settings) {
    const v = {};
    for (const f of SYSLOG_FIELDS) {
        const value = (settings['syslog.' + f] || {}).value; // the default when not given
        v[f] = value === null || value === undefined ? '' : String(value);
    }
    v.configured = Boolean((settings['syslog.host'] || {}).given);
    return v;
}

/* What "Save and apply" sends: every field (empty ones remove their key, defaults add no
 * line); the CA file only with TLS, where it is used. No host: remove the section. */
export function syslogAssignments(values) {
    return SYSLOG_FIELDS
            .filter(f => f !== 'ca_file' || values.protocol === 'tls')
            .map(f => 'syslog.' + f + '=' + String(values[f] || '').trim());
}

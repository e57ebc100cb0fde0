/* Pure formatting: `sbc status --json` and `sbc doctor --json` in words for the page.
 * Each cell is {text, level, title}; level is "ok", "warn", "bad" or "" (no colour). */

export function formatTime(iso) {
    if (!iso)
        return '';
    return String(iso).replace(/^(\d{4}-\d\d-\d\d)T/, '$1 ').replace(/\.\d+/, '')
            .replace(/Z$/, ' UTC');
}

export function cell(text, level, title) {
    return { text, level: level || '', title: title || '' };
}

export function registrationCell(reg) {
    if (!reg)
        return cell('not used');
    const state = reg.state || 'unknown';
    let text = state + (reg.code ? ' (' + reg.code + ')' : '');
    const why = reg.error || reg.reason;
    if (state !== 'registered' && state !== 'pending' && why)
        text += ': ' + why;
    const level = state === 'registered' ? 'ok' : (state === 'pending' ? 'warn' : 'bad');
    return cell(text, level, reg.expires_at ? 'until ' + formatTime(reg.expires_at) : '');
}

export function optionsOutCell(out, waiting) {
    if (waiting)
        return cell('waiting', 'warn', waiting);
    if (!out)
        return cell('off');
    const status = out.status || out.state || 'unknown';
    const parts = [status];
    if (out.code)
        parts.push(String(out.code));
    if (out.rtt_ms !== null && out.rtt_ms !== undefined)
        parts.push(out.rtt_ms + ' ms');
    const level = status === 'up' ? 'ok' : (status === 'down' ? 'bad' : 'warn');
    return cell(parts.join(' · '), level, out.since ? 'since ' + formatTime(out.since) : '');
}

export function optionsInCell(inbound) {
    if (!inbound || !inbound.last_seen)
        return cell('never', 'warn');
    return cell(formatTime(inbound.last_seen), 'ok');
}

export function certificateCell(cert) {
    if (!cert)
        return cell('—');
    const days = cert.days_left;
    const known = days !== null && days !== undefined;
    const until = cert.not_after ? String(cert.not_after).slice(0, 10) : '';
    if (known && days < 0)
        return cell('expired ' + until, 'bad', cert.subject);
    const text = (known ? days + ' days left ' : '') + (until ? '(' + until + ')' : '');
    return cell(text.trim(), known && days < 30 ? 'warn' : 'ok', cert.subject);
}

/* Why a connection is not up, in words: waiting, the OPTIONS error or reason, the
 * registration's error. Empty when it is up. */
export function connectionReason(conn) {
    if (!conn)
        return '';
    if (conn.waiting)
        return String(conn.waiting);
    const out = conn.options_out;
    const parts = [];
    if (out && out.status && out.status !== 'up') {
        const why = out.error || out.reason;
        parts.push('OPTIONS ' + out.status + (out.code ? ' (' + out.code + ')' : '') +
                   (why ? ': ' + why : ''));
    }
    const reg = conn.registration;
    if (reg && reg.state && reg.state !== 'registered' && reg.state !== 'pending') {
        const why = reg.error || reg.reason;
        parts.push('registration ' + reg.state + (reg.code ? ' (' + reg.code + ')' : '') +
                   (why ? ': ' + why : ''));
    }
    return parts.join('; ');
}

export function connectionDown(conn) {
    return Boolean(conn && (conn.waiting || (conn.options_out && conn.options_out.status === 'down')));
}

export function statusRows(status) {
    const conns = status && Array.isArray(status.connections) ? status.connections : [];
    return conns.filter(c => c && typeof c === 'object').map(c => ({
        name: String(c.name || ''),
        reason: connectionReason(c),
        cells: [
            cell(c.name || ''), cell(c.transport || ''), cell(c.target || ''),
            registrationCell(c.registration), optionsOutCell(c.options_out, c.waiting),
            optionsInCell(c.options_in), certificateCell(c.certificate)
        ]
    }));
}

/* The SBC's own certificate: {level, title, text, findings} for the card. */
export function ownCertificate(status) {
    const cert = status && status.certificate;
    const tls = (status && status.tls) || {};
    if (!cert || typeof cert !== 'object')
        return null;
    const report = cert.report || {};
    const findings = (Array.isArray(report.findings) ? report.findings : [])
            .filter(f => f && (f.level === 'warn' || f.level === 'fail'));
    if (cert.missing || cert.error) {
        return {
            level: 'bad', title: cert.missing ? 'No certificate' : 'Certificate unreadable',
            text: String(cert.error || ''), findings, tls
        };
    }
    let days = cert.days_left;
    if (days === null || days === undefined)
        days = report.days_left;
    if ((days === null || days === undefined) && typeof cert.not_after_ts === 'number' &&
        status.generated_at)
        days = Math.floor((cert.not_after_ts * 1000 - Date.parse(status.generated_at)) / 86400000);
    const known = days !== null && days !== undefined;
    let level = 'ok';
    if ((known && days < 0) || report.usable === false)
        level = 'bad';
    else if ((known && days < 30) || findings.length)
        level = 'warn';
    return {
        level,
        title: String(cert.subject || ''),
        text: (known ? (days < 0 ? 'expired ' + (-days) + ' days ago' : days + ' days left') : '') +
            (cert.not_after ? (known ? ', ' : '') + 'until ' + formatTime(cert.not_after) : ''),
        days: known ? days : null,
        findings,
        tls
    };
}

/* --- calls ---------------------------------------------------------------------- */

export function clock(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const pad = n => (n < 10 ? '0' : '') + n;
    return h ? h + ':' + pad(m) + ':' + pad(s % 60) : m + ':' + pad(s % 60);
}

function causes(counts) {
    if (!counts || typeof counts !== 'object')
        return '';
    return Object.keys(counts).sort()
            .filter(k => counts[k])
            .map(k => k + ' ' + counts[k])
            .join(', ');
}

export function countersText(calls) {
    if (!calls || typeof calls !== 'object')
        return 'This SBC version does not report calls.';
    const c = calls.counters || {};
    const parts = [(c.attempted || 0) + ' attempted', (c.answered || 0) + ' answered',
        (c.active || 0) + ' active'];
    const failed = causes(c.failed);
    const dropped = causes(c.dropped);
    if (failed)
        parts.push('failed: ' + failed);
    if (dropped)
        parts.push('dropped: ' + dropped);
    return parts.join(' · ');
}

function legText(leg) {
    let text = leg.connection || '?';
    if (leg.state && leg.state !== 'confirmed')
        text += ' (' + leg.state + ')';
    if (leg.media)
        text += ' ' + leg.media;
    if (leg.bypass)
        text += ' (media bypass)';
    return text;
}

export function callRows(status) {
    const calls = status && status.calls;
    const active = calls && Array.isArray(calls.active) ? calls.active : [];
    return active.filter(c => c && typeof c === 'object').map(c => {
        const legs = Array.isArray(c.legs) ? c.legs.filter(Boolean) : [];
        const answered = c.duration_s !== null && c.duration_s !== undefined;
        const age = c.age_s !== null && c.age_s !== undefined;
        const duration = answered ? clock(c.duration_s) : (age ? '(' + clock(c.age_s) + ')' : '');
        const ids = legs.map(l => (l.tag || '?') + ': ' + (l.call_id || ''));
        return {
            id: String(c.id || ''),
            cells: [
                cell(c.calling || 'anonymous'), cell(c.called || ''),
                cell(c.state || 'unknown', c.state === 'answered' ? 'ok' : 'warn'),
                cell(c.route || '—'),
                cell(duration, '', c.answered ? 'answered ' + formatTime(c.answered)
                    : (c.started ? 'since ' + formatTime(c.started) : '')),
                cell(legs.map(legText).join(' ↔ '), '', ids.join('\n'))
            ]
        };
    });
}

/* --- command failures in words -------------------------------------------------- */

/* What a failed `sbc ...` run means for the admin: never a raw errno text. */
export function problemText(result, what) {
    if (!result)
        return what + ' gave no answer.';
    if (result.problem === 'not-found')
        return 'The sbc command is not installed on this system.';
    if (result.problem === 'access-denied')
        return 'Not permitted: turn on administrative access (top right) to see the SBC.';
    if (result.problem)
        return what + ' failed: ' + result.problem + '.';
    const err = String(result.err || '').trim().split('\n').filter(Boolean).pop() || '';
    // "sbc status: the SBC is not running (...)" -> "The SBC is not running (...)"
    const text = err.replace(/^sbc( [a-z-]+)*: /, '');
    if (text)
        return text.charAt(0).toUpperCase() + text.slice(1) + (/[.)]$/.test(text) ? '' : '.');
    return what + ' failed (exit status ' + result.exitStatus + ').';
}

/* The SBC is not running when `sbc status` exits 3 (or says so). */
export function notRunning(result) {
    return Boolean(result && !result.ok && !result.problem &&
        (result.exitStatus === 3 || /not (running|responding)/.test(result.err || '')));
}

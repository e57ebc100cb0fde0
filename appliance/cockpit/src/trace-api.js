/* The Trace section's commands, in sbc.js's style (every call resolves, never rejects,
 * to {ok, out, err, exitStatus, problem[, json]}), and the pure formatting of the
 * file list.
 *
 *   sbc trace files --json [--path P]        the files, oldest first, with sizes
 *   sbc trace bundle --out - [--path P]      all of them merged into one pcap (stdout)
 *
 * The SBC writes every message to the file as it passes, so both work while the trace
 * runs. */
/* global cockpit */
import { runJson } from './sbc.js';

const pathArgs = path => (path ? ['--path', path] : []);

export const files = path => runJson(['sbc', 'trace', 'files', '--json', ...pathArgs(path)]);

/* `sbc trace bundle --out -`: the merged pcap as bytes (out is a Uint8Array). */
export function bundle(path) {
    return new Promise(resolve => {
        cockpit.spawn(['sbc', 'trace', 'bundle', '--out', '-', ...pathArgs(path)],
                      { binary: true, err: 'message', superuser: 'try' })
                .then((out, message) => resolve({ ok: true, out: out || new Uint8Array(0), err: message || '' }),
                      (ex, out) => resolve({
                          ok: false,
                          out: out || new Uint8Array(0),
                          err: (ex && ex.message) || '',
                          exitStatus: ex ? ex.exit_status : null,
                          problem: ex && ex.problem ? ex.problem : null,
                      }));
    });
}

/* Hands bytes to the browser as a file download. */
export function saveBytes(bytes, name, type = 'application/vnd.tcpdump.pcap') {
    const blob = new Blob([bytes], { type });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

/* sip.pcap + a UTC time -> sip-all-20250601-120000.pcap (the merged download's name). */
export function bundleName(path, now = new Date()) {
    const base = (path || 'sip.pcap').split('/').pop().replace(/\.pcap$/, '');
    const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    return base + '-all-' + stamp + '.pcap';
}

export function formatBytes(n) {
    if (typeof n !== 'number' || !isFinite(n))
        return '—';
    if (n < 1024)
        return n + ' B';
    if (n < 1024 * 1024)
        return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

/* 2025-06-01T12:00:00.123Z -> 2025-06-01 12:00:00 UTC */
export function formatTime(iso) {
    if (!iso)
        return '—';
    return String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, '') + ' UTC';
}

/* What the Download all message says about the files it merged. */
export function downloadedText(path, fileCount, bytes) {
    const rotated = Math.max(0, fileCount - 1);
    const which = rotated === 0
        ? path
        : path + ' and ' + rotated + ' rotated file' + (rotated === 1 ? '' : 's') + ', merged in time order';
    return 'Downloaded ' + which + ' (' + bytes + ' bytes).';
}

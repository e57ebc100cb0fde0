/* The backup commands as the Backup section runs them (`sbc backup ... --json`), in
 * sbc.js's style: every call resolves to {ok, out, err, exitStatus, problem, json}.
 * The archive passes through a private temporary folder (`mktemp -d`, mode 0700), read
 * and written with cockpit.file as binary, and removed afterwards: it holds the key. */
/* global cockpit */
import { run, runJson } from './sbc.js';

export const ARCHIVE = 'backup.tar.gz';

/* A new private folder for one archive; {ok, dir} or the failed run. */
export async function tempDir() {
    const r = await run(['mktemp', '-d', '/tmp/opensbc-backup.XXXXXX']);
    return { ...r, dir: r.ok ? r.out.trim() : '' };
}

export const removeDir = dir =>
    (dir ? run(['rm', '-rf', '--', dir]) : Promise.resolve({ ok: true }));

export const backupCreate = out => runJson(['sbc', 'backup', 'create', '--json', '--out', out]);
export const backupRestore = (file, dryRun) =>
    runJson(['sbc', 'backup', 'restore', '--json', ...(dryRun ? ['--dry-run'] : []), file]);

export function readBinary(path) {
    return cockpit.file(path, { binary: true, superuser: 'try' }).read();
}

export function writeBinary(path, bytes) {
    return cockpit.file(path, { binary: true, superuser: 'try' }).replace(bytes);
}

/* Hands bytes to the browser as a download named `filename`. */
export function download(bytes, filename) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/gzip' }));
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

/* Writes `bytes` as an archive into a new private folder, runs `command(path)` on it and
 * removes the folder again, also when the command fails: the uploaded backup (with its
 * key) stays on the box only while a command reads it. Resolves to the command's result. */
export async function withArchive(bytes, command) {
    const temp = await tempDir();
    if (!temp.ok)
        return { ...temp, json: null, err: 'no temporary folder: ' + (temp.err || temp.problem || '') };
    const path = temp.dir + '/' + ARCHIVE;
    try {
        await writeBinary(path, bytes);
        return await command(path);
    } finally {
        await removeDir(temp.dir);
    }
}

/* The appliance's commands as the page runs them: cockpit.spawn with superuser "try",
 * stderr as the message. Every call resolves (never rejects) to
 * {ok, out, err, exitStatus, problem}, so callers show a reason instead of an exception. */
/* global cockpit */

/* `input`, when given, is written to the command's stdin, which is then closed (pasted
 * PEM for `sbc cert import -` and `sbc cert add-ca -`, without a temporary file). */
export function run(args, input) {
    return new Promise(resolve => {
        const proc = cockpit.spawn(args, { err: 'message', superuser: 'try' });
        if (input !== undefined)
            proc.input(input);
        proc.then((out, message) => resolve({ ok: true, out: out || '', err: message || '' }),
                  (ex, out) => resolve({
                      ok: false,
                      out: out || '',
                      err: (ex && ex.message) || '',
                      exitStatus: ex ? ex.exit_status : null,
                      problem: ex && ex.problem ? ex.problem : null,
                  }));
    });
}

/* Runs a command that answers in JSON on stdout (also with a non-zero exit, as
 * `sbc doctor` does when it finds a failure); `json` is null when there is none. */
export async function runJson(args, input) {
    const result = await run(args, input);
    let json = null;
    if (result.out.trim()) {
        try {
            json = JSON.parse(result.out);
        } catch (e) {
            result.err = result.err || ('not JSON: ' + e.message);
        }
    }
    return { ...result, json };
}

export const status = () => runJson(['sbc', 'status', '--json']);
export const doctor = () => runJson(['sbc', 'doctor', '--json']);
export const configShow = () => runJson(['sbc', 'config', 'show', '--json']);
export const configSet = (assignments, dryRun) =>
    runJson(['sbc', 'config', 'set', '--json', ...(dryRun ? ['--dry-run'] : []), ...assignments]);
export const teamsSetup = () => run(['sbc', 'teams-setup']);
export const journal = () =>
    run(['journalctl', '-u', 'opensbc', '-n', '50', '-o', 'cat', '--no-pager']);
export const trace = (action, includeOptions) =>
    run(['sbc', 'trace', action, ...(action === 'start' && includeOptions ? ['--include-options'] : [])]);

export function readFile(path) {
    return cockpit.file(path, { binary: true, superuser: 'try' }).read();
}

/* --- certificates (`sbc cert ... --json`, `sbc tls-check --json`) ---------------- */

export const certShow = () => runJson(['sbc', 'cert', 'show', '--json']);
export const certCsr = ({ fqdn, sans, org, country }) => runJson([
    'sbc', 'cert', 'csr', '--json', '--fqdn', fqdn,
    ...(sans || []).flatMap(s => ['--san', s]),
    ...(org ? ['--org', org] : []),
    ...(country ? ['--country', country] : []),
]);
export const certImport = (pem, fqdn) =>
    runJson(['sbc', 'cert', 'import', '-', '--json', ...(fqdn ? ['--fqdn', fqdn] : [])], pem);
export const certAddCa = pem => runJson(['sbc', 'cert', 'add-ca', '-', '--json'], pem);
export const tlsCheck = target => runJson(['sbc', 'tls-check', '--json', target]);
// A new certificate takes effect with a reload (TLS listener and Teams connections).
export const reloadSbc = () => run(['systemctl', 'reload-or-restart', 'opensbc.service']);

/* Connections (the page's "Add connection", "Edit", "Remove"). */
export const configProfiles = () => runJson(['sbc', 'config', 'profiles', '--json']);
export const configShowKey = key => runJson(['sbc', 'config', 'show', '--json', key]);
export const configAddConnection = (name, profile, assignments) =>
    runJson(['sbc', 'config', 'add', '--json', 'connection', name, '--profile', profile, ...assignments]);
export const configRemoveConnection = name =>
    runJson(['sbc', 'config', 'remove', '--json', 'connection', name]);

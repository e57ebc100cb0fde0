/* The appliance's commands as the page runs them: cockpit.spawn with superuser "try",
 * stderr as the message. Every call resolves (never rejects) to
 * {ok, out, err, exitStatus, problem}, so callers show a reason instead of an exception. */
/* global cockpit */

export function run(args) {
    return new Promise(resolve => {
        cockpit.spawn(args, { err: 'message', superuser: 'try' })
                .then((out, message) => resolve({ ok: true, out: out || '', err: message || '' }),
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
export async function runJson(args) {
    const result = await run(args);
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

/* The Routing section's commands, run as sbc.js runs every command (cockpit.spawn with
 * superuser "try", answers {ok, out, err, exitStatus, problem, json}, never rejects):
 * `sbc routes list|add|set|move|remove|test --json`. */
import { runJson } from './sbc.js';

export const routesList = () => runJson(['sbc', 'routes', 'list', '--json']);

/* fields: {name, from, called, calling, rewrite_called, rewrite_calling, to} as typed;
 * `from` and `to` as arrays of names. */
export function assignments(fields, { keepEmpty } = {}) {
    const out = [];
    for (const [key, value] of Object.entries(fields)) {
        const text = Array.isArray(value) ? value.filter(Boolean).join(', ') : String(value || '').trim();
        if (text || keepEmpty)
            out.push(key + '=' + text);
    }
    return out;
}

export const routesAdd = (fields, position) => runJson([
    'sbc', 'routes', 'add', '--json', ...(position ? ['--position', String(position)] : []),
    ...assignments(fields),
]);
// Only the fields changed; an emptied field is sent as FIELD= (removed from the rule).
export const routesSet = (name, changed) =>
    runJson(['sbc', 'routes', 'set', '--json', name, ...assignments(changed, { keepEmpty: true })]);
export const routesMove = (name, position) =>
    runJson(['sbc', 'routes', 'move', '--json', name, String(position)]);
export const routesRemove = name => runJson(['sbc', 'routes', 'remove', '--json', name]);
export const routesTest = (source, called, calling) => runJson([
    'sbc', 'routes', 'test', '--json', '--from', source, '--called', called,
    ...(calling ? ['--calling', calling] : []),
]);

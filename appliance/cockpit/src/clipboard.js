/* Copy text: the clipboard API where the browser allows it (Cockpit's iframe may not),
 * else the selection and execCommand("copy"). One place for every Copy button. */

function copyBySelection(text) {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    return done ? Promise.resolve() : Promise.reject(new Error('copy refused'));
}

export function copyText(text) {
    if (navigator.clipboard && window.isSecureContext)
        return navigator.clipboard.writeText(text).catch(() => copyBySelection(text));
    return copyBySelection(text);
}

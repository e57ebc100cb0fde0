/* Follows the Cockpit shell's light/dark choice, as pkg/lib/cockpit-dark-theme.js does
 * for Cockpit's own pages: localStorage "shell:style" (auto, light, dark), the shell's
 * "cockpit-style" event, and the browser's preference when the choice is "auto". */

const DARK = 'pf-v5-theme-dark';
const query = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

function storedStyle() {
    try {
        return window.localStorage.getItem('shell:style') || 'auto';
    } catch (e) {
        return 'auto';
    }
}

export function setDarkMode(style) {
    const choice = style || storedStyle();
    const dark = choice === 'dark' || (choice === 'auto' && query !== null && query.matches);
    document.documentElement.classList.toggle(DARK, dark);
}

window.addEventListener('storage', event => {
    if (event.key === 'shell:style')
        setDarkMode();
});
window.addEventListener('cockpit-style', event => {
    if (event instanceof CustomEvent && event.detail)
        setDarkMode(event.detail.style);
});
if (query && query.addEventListener)
    query.addEventListener('change', () => setDarkMode());
setDarkMode();

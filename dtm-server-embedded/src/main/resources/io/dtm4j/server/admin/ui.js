// Shared pieces of the admin UI: building DOM, formatting server values, the message banner.
//
// Safety rule for every module: a value from the server reaches the page through el() or fill() (createElement,
// text nodes, setAttribute) and never as HTML, so a branch URL or a rollback reason holding markup shows as text.
// The server's Content-Security-Policy (no inline script or style) is a second line of defence.

export const BASE = document.body.dataset.basePath || '';
export const STATUSES = ['prepared', 'submitted', 'aborting', 'succeed', 'failed'];
export const FINAL = new Set(['succeed', 'failed']);
export const TYPES = ['saga', 'msg', 'tcc', 'xa', 'workflow'];
const SECONDS = new Set(['timeout_to_fail', 'request_timeout', 'retry_interval', 'next_cron_interval']);

/** Creates an element: props become attributes (on* become listeners, true an empty value); children are appended. */
export function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) {
            continue;
        }
        if (k === 'class') {
            e.className = v;
        } else if (k.startsWith('on')) {
            e.addEventListener(k.slice(2), v);
        } else {
            e.setAttribute(k, v === true ? '' : String(v));
        }
    }
    return fill(e, children, false);
}

/** Appends children (nested arrays flattened; null, undefined and false skipped), first emptying the node. */
export function fill(node, children, empty = true) {
    if (empty) {
        node.replaceChildren();
    }
    for (const c of [children].flat(Infinity)) {
        if (c !== undefined && c !== null && c !== false) {
            node.append(c instanceof Node ? c : String(c)); // a string becomes a text node
        }
    }
    return node;
}

/** A link inside the UI, followed without reloading the page (see app.js). */
export function link(path, text, props = {}) {
    return el('a', {href: BASE + path, 'data-route': true, ...props}, text);
}

export const detailPath = (gid) => '/admin/transactions/' + encodeURIComponent(gid);
export const dash = () => el('span', {class: 'muted'}, '—');

// ---- formatting ----

const pad = (n) => String(n).padStart(2, '0');

function localTime(d) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
        + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Seconds as the two largest units, e.g. "2 h 5 min" or "7 s". */
export function duration(seconds) {
    let s = Math.max(0, Math.round(seconds));
    const parts = [];
    for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]]) {
        if (s >= size) {
            parts.push(Math.floor(s / size) + ' ' + unit);
            s %= size;
        }
    }
    if (s || !parts.length) {
        parts.push(s + ' s');
    }
    return parts.slice(0, 2).join(' ');
}

function relative(d) {
    const s = (d.getTime() - Date.now()) / 1000;
    return Math.abs(s) < 1 ? 'now' : s > 0 ? 'in ' + duration(s) : duration(-s) + ' ago';
}

/** A server time in the browser's local time; the exact value the server sent is in the title. */
export function time(iso, withRelative = false) {
    if (!iso) {
        return dash();
    }
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) {
        return el('span', {}, String(iso));
    }
    return el('time', {datetime: iso, title: iso}, localTime(d), withRelative ? ` (${relative(d)})` : '');
}

/** A status as a coloured badge that also says the status in words. */
export function badge(status) {
    const known = STATUSES.includes(status) ? status : 'unknown';
    return el('span', {class: 'badge st-' + known}, status || '?');
}

/** A field value: objects as JSON, booleans as yes/no, seconds with their unit, nothing as a dash. */
export function value(key, v) {
    if (v === undefined || v === null || v === '') {
        return dash();
    }
    if (typeof v === 'boolean') {
        return el('span', {}, v ? 'yes' : 'no');
    }
    if (typeof v === 'object') {
        return el('code', {}, JSON.stringify(v));
    }
    if (SECONDS.has(key) && typeof v === 'number') {
        return el('span', {title: v + ' seconds'}, duration(v));
    }
    return el('span', {}, String(v));
}

/** JSON text pretty-printed, or the text as it is when it is not JSON. */
export function jsonText(text) {
    try {
        return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
        return text;
    }
}

/** A definition list of [key, label, node] rows; each value carries data-field=key. */
export function fieldList(rows) {
    return el('dl', {class: 'fields'}, rows.map(([key, label, node]) => [
        el('dt', {title: key}, label), el('dd', {'data-field': key}, node)]));
}

// ---- banner and busy indicator ----

const banner = document.getElementById('banner');

function showBanner(message, kind) {
    banner.className = 'banner ' + kind;
    document.getElementById('banner-text').textContent = message;
    banner.hidden = false;
}

export const showError = (message) => showBanner(message, 'error');
export const showNotice = (message) => showBanner(message, 'notice');

export function clearBanner() {
    banner.hidden = true;
}

let busy = 0;

/** Counts requests in flight; the header says "Loading…" while there is one. */
export function setBusy(delta) {
    busy += delta;
    document.getElementById('busy').hidden = busy === 0;
}

// The transactions page: counts by status, filters (kept in the address, so a filtered list can be shared),
// newest first, 20 a page through the server's next_position, and an optional refresh every 5 s.

import {api, fail} from './api.js';
import {BASE, FINAL, STATUSES, TYPES, badge, dash, detailPath, el, fill, link, time} from './ui.js';

const PAGE_SIZE = 20;
const REFRESH_MS = 5000;
const FILTERS = ['gid', 'status', 'type', 'from', 'to'];

// Whether the list refreshes itself; off when the page loads, kept while moving between pages of the UI.
let autoRefresh = false;

function filtersFromAddress() {
    const q = new URLSearchParams(location.search);
    return Object.fromEntries(FILTERS.map((name) => [name, q.get(name) || '']));
}

function epochMs(local) {
    const ms = new Date(local).getTime(); // a datetime-local value is read as local time
    return Number.isNaN(ms) ? null : ms;
}

/** One page of /api/dtmsvr/all for the filters, starting at position ('' for the first). */
function fetchPage(f, position) {
    const q = new URLSearchParams({limit: PAGE_SIZE});
    const put = (key, v) => v !== '' && v !== null && q.set(key, v);
    put('position', position);
    put('status', f.status);
    put('transType', f.type);
    put('createTimeStart', f.from && epochMs(f.from));
    put('createTimeEnd', f.to && epochMs(f.to));
    put('gidPrefix', f.gid);
    return api('/api/dtmsvr/all?' + q);
}

function filterForm(f, navigate) {
    const field = (id, label, control) => el('div', {class: 'field'}, el('label', {for: id}, label), control);
    const select = (id, options) => el('select', {id, name: id}, el('option', {value: ''}, 'any'),
        options.map((o) => el('option', {value: o, selected: o === f[id]}, o)));
    const form = el('form', {class: 'filters', role: 'search', onsubmit: (ev) => {
        ev.preventDefault();
        const q = new URLSearchParams();
        for (const name of FILTERS) {
            const v = form.elements[name].value.trim();
            if (v) {
                q.set(name, v);
            }
        }
        navigate(BASE + '/admin/transactions' + (q.toString() ? '?' + q : ''));
    }},
    field('gid', 'Gid', el('input', {id: 'gid', name: 'gid', type: 'search', value: f.gid, spellcheck: 'false',
        placeholder: 'gid or its beginning', title: 'Transactions whose gid starts with this (case-sensitive)'})),
    field('status', 'Status', select('status', STATUSES)),
    field('type', 'Type', select('type', TYPES)),
    field('from', 'Created from', el('input', {id: 'from', name: 'from', type: 'datetime-local', step: 1,
        value: f.from})),
    field('to', 'Created to', el('input', {id: 'to', name: 'to', type: 'datetime-local', step: 1, value: f.to})),
    el('div', {class: 'field buttons'},
        el('button', {type: 'submit', class: 'primary', id: 'apply'}, 'Apply'),
        link('/admin/transactions', 'Clear', {class: 'button', id: 'clear'})));
    return form;
}

/** Counts from /api/admin/info, each a link to the list of that status; "n/a" when the store cannot count. */
function countsBar(info) {
    const counts = info && info.counts;
    return el('div', {class: 'counts', id: 'counts', 'aria-label': 'Transactions by status'}, STATUSES.map((s) =>
        link('/admin/transactions?status=' + s,
            [badge(s), ' ', el('b', {class: 'count'}, counts && typeof counts[s] === 'number' ? counts[s] : 'n/a')],
            {class: 'count-link', 'data-status': s,
                title: counts ? `Show the ${s} transactions` : 'This store cannot count the transactions by status'})));
}

function row(t) {
    return el('tr', {'data-gid': t.gid},
        el('td', {class: 'gid'}, link(detailPath(t.gid), t.gid)),
        el('td', {}, t.trans_type || ''),
        el('td', {}, badge(t.status)),
        el('td', {}, time(t.create_time)),
        el('td', {}, time(t.update_time)),
        el('td', {}, FINAL.has(t.status) ? dash() : time(t.next_cron_time, true)));
}

/** Renders the list into main; returns what stops it (the refresh timer). */
export function listView(main, navigate) {
    const filters = filtersFromAddress();
    const positions = ['']; // the start of every page seen so far: Previous pops one
    let next = '';
    let latest = 0; // only the newest load may draw: a slow reply must not overwrite a newer page
    let timer = null;
    const counts = el('div', {}, countsBar(null));
    const tbody = el('tbody');
    const table = el('table', {class: 'list', id: 'transactions'},
        el('thead', {}, el('tr', {}, ['Gid', 'Type', 'Status', 'Created', 'Updated', 'Next retry']
            .map((h) => el('th', {scope: 'col'}, h)))),
        tbody);
    const prev = el('button', {type: 'button', id: 'prev', disabled: true, onclick: () => {
        positions.pop();
        load();
    }}, '← Previous');
    const nextButton = el('button', {type: 'button', id: 'next', disabled: true, onclick: () => {
        positions.push(next);
        load();
    }}, 'Next →');
    const pageLabel = el('span', {class: 'muted', id: 'page'});
    const toggle = el('input', {type: 'checkbox', id: 'auto-refresh', checked: autoRefresh, onchange: () => {
        autoRefresh = toggle.checked;
        schedule();
    }});
    const view = el('section', {},
        el('div', {class: 'title-row'}, el('h1', {}, 'Transactions'),
            el('label', {class: 'toggle', for: 'auto-refresh'}, toggle, ' Auto-refresh every 5 s')),
        counts, filterForm(filters, navigate), table,
        el('div', {class: 'pager'}, prev, pageLabel, nextButton));
    fill(main, view);

    async function load(quiet = false) {
        const mine = ++latest;
        prev.disabled = nextButton.disabled = true;
        table.setAttribute('aria-busy', 'true');
        try {
            const [page, info] = await Promise.all([fetchPage(filters, positions[positions.length - 1]),
                api('/api/admin/info').catch(() => null)]);
            if (mine !== latest || !view.isConnected) {
                return;
            }
            const rows = page.transactions || [];
            fill(tbody, rows.length ? rows.map(row) : el('tr', {}, el('td', {colspan: 6, class: 'empty'},
                positions.length > 1 ? 'No more transactions.' : 'No transactions match these filters.')));
            fill(counts, countsBar(info));
            next = page.next_position || '';
            pageLabel.textContent = `Page ${positions.length} · ${rows.length} shown · newest first`;
        } catch (e) {
            if (mine === latest && view.isConnected) {
                fail(e);
                if (quiet) {
                    toggle.checked = autoRefresh = false; // one banner, not one every 5 s
                    schedule();
                }
            }
        } finally {
            if (mine === latest) {
                prev.disabled = positions.length <= 1;
                nextButton.disabled = !next;
                table.removeAttribute('aria-busy');
            }
        }
    }

    function schedule() {
        clearInterval(timer);
        timer = autoRefresh ? setInterval(() => load(true), REFRESH_MS) : null;
    }

    schedule();
    load();
    return () => clearInterval(timer);
}

// The server panel: /api/admin/info (version, store and its health, uptime, counts) and a few lines of
// /api/metrics (Prometheus text format).

import {api, fail} from './api.js';
import {STATUSES, duration, el, fieldList, fill, time, value} from './ui.js';

/** The samples of a Prometheus text exposition: [{name, labels, value}]; comments and blank lines skipped. */
function parseMetrics(text) {
    const samples = [];
    for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
        if (!m) {
            continue;
        }
        const labels = {};
        for (const l of (m[2] || '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
            labels[l[1]] = l[2];
        }
        samples.push({name: m[1], labels, value: Number(m[3])});
    }
    return samples;
}

function sum(samples, name, match = {}) {
    return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
        .reduce((total, s) => total + s.value, 0);
}

const mib = (bytes) => (bytes / 1048576).toFixed(1) + ' MiB';
const okFail = (samples, name) =>
    `${sum(samples, name, {status: 'ok'})} ok, ${sum(samples, name, {status: 'fail'})} failed`;

function metricRows(samples) {
    const rows = [
        ['requests', 'HTTP requests', 'dtm_server_process_total', () => okFail(samples, 'dtm_server_process_total')],
        ['rounds', 'Transaction rounds', 'dtm_transaction_process_total',
            () => okFail(samples, 'dtm_transaction_process_total')],
        ['store_up_metric', 'Store up (metric)', 'dtm4j_store_up',
            () => (sum(samples, 'dtm4j_store_up') >= 1 ? 'yes' : 'no')],
        ['connections', 'Store connections', 'dtm4j_store_connections', () => ['open', 'idle', 'waiting']
            .map((s) => `${sum(samples, 'dtm4j_store_connections', {state: s})} ${s}`).join(', ')],
        ['memory', 'JVM memory used', 'jvm_memory_used_bytes',
            () => `heap ${mib(sum(samples, 'jvm_memory_used_bytes', {area: 'heap'}))}, `
                + `non-heap ${mib(sum(samples, 'jvm_memory_used_bytes', {area: 'nonheap'}))}`],
    ];
    return rows.map(([key, label, metric, text]) =>
        [key, label, el('span', {}, samples.some((s) => s.name === metric) ? text() : 'n/a')]);
}

function roundsByType(samples) {
    const name = 'dtm_transaction_process_total';
    const types = [...new Set(samples.filter((s) => s.name === name).map((s) => s.labels.model))].sort();
    if (!types.length) {
        return el('p', {class: 'muted'}, 'No transaction rounds since the server started.');
    }
    return el('table', {class: 'list narrow', id: 'rounds'},
        el('thead', {}, el('tr', {}, ['Type', 'Rounds ok', 'Rounds failed'].map((h) => el('th', {scope: 'col'}, h)))),
        el('tbody', {}, types.map((m) => el('tr', {}, el('td', {}, m),
            el('td', {}, sum(samples, name, {model: m, status: 'ok'})),
            el('td', {}, sum(samples, name, {model: m, status: 'fail'}))))));
}

function infoRows(i) {
    const counts = i.counts ? STATUSES.map((s) => `${s} ${i.counts[s] ?? 0}`).join(', ') : 'n/a';
    return [
        ['version', 'Version', value('version', i.version)],
        ['store', 'Store', value('store', i.store)],
        ['store_up', 'Store up', el('span', {class: 'badge ' + (i.store_up ? 'st-succeed' : 'st-failed')},
            i.store_up ? 'up' : 'DOWN')],
        ['started_at', 'Started', time(i.started_at)],
        ['uptime_seconds', 'Uptime', el('span', {title: i.uptime_seconds + ' seconds'},
            duration(i.uptime_seconds || 0))],
        ['counts', 'Transactions', el('span', {}, counts)],
    ];
}

/** Renders the server panel into main. */
export function serverView(main) {
    const infoBox = el('div', {}, el('p', {class: 'muted'}, 'Loading…'));
    const metricsBox = el('div', {}, el('p', {class: 'muted'}, 'Loading…'));
    const view = el('section', {},
        el('div', {class: 'title-row'}, el('h1', {}, 'Server'),
            el('div', {class: 'actions'}, el('button', {type: 'button', id: 'refresh', onclick: load}, 'Refresh'))),
        infoBox, el('h2', {}, 'Key metrics'), metricsBox,
        el('p', {class: 'muted'}, 'Every metric: GET /api/metrics (Prometheus text format).'));
    fill(main, view);

    async function load() {
        const [info, metrics] = await Promise.allSettled([api('/api/admin/info'), api('/api/metrics', {text: true})]);
        if (!view.isConnected) {
            return;
        }
        const failed = [info, metrics].find((r) => r.status === 'rejected');
        if (failed) {
            fail(failed.reason);
            if (!view.isConnected) {
                return; // replaced by the sign-in form
            }
        }
        fill(infoBox, info.status === 'fulfilled' ? fieldList(infoRows(info.value))
            : el('p', {class: 'empty'}, 'Server info unavailable.'));
        if (metrics.status === 'fulfilled') {
            const samples = parseMetrics(metrics.value);
            fill(metricsBox, [fieldList(metricRows(samples)), roundsByType(samples)]);
        } else {
            fill(metricsBox, el('p', {class: 'empty'}, 'Metrics unavailable.'));
        }
    }

    load();
}

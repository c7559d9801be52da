// One transaction: every field the server returns, its options, its branches and the raw reply; "Retry now"
// and "Force stop" (after a confirmation with a reason) while it is unfinished.

import {ApiError, api, fail} from './api.js';
import {FINAL, badge, clearBanner, el, fieldList, fill, jsonText, link, showNotice, time, value} from './ui.js';

const GLOBAL_FIELDS = [
    ['gid', 'Gid'], ['trans_type', 'Type'], ['status', 'Status'], ['protocol', 'Protocol'], ['id', 'Store id'],
    ['create_time', 'Created'], ['update_time', 'Updated'], ['finish_time', 'Finished'],
    ['rollback_time', 'Rolled back'], ['next_cron_time', 'Next retry'], ['next_cron_interval', 'Retry interval now'],
    ['rollback_reason', 'Rollback reason'], ['query_prepared', 'Query-prepared URL'], ['custom_data', 'Custom data'],
    ['result', 'Result'], ['owner', 'Owner (lease)'], ['ext_data', 'Extra data'],
];
const OPTION_FIELDS = ['wait_result', 'timeout_to_fail', 'request_timeout', 'retry_interval', 'retry_limit',
    'retry_count', 'concurrent', 'branch_headers'];
const TIME_FIELDS = new Set(['create_time', 'update_time', 'finish_time', 'rollback_time', 'next_cron_time']);

function globalFields(t) {
    return GLOBAL_FIELDS.map(([key, label]) => {
        let node;
        if (key === 'status') {
            node = badge(t.status);
        } else if (TIME_FIELDS.has(key)) {
            node = time(t[key], key === 'next_cron_time' && !FINAL.has(t.status));
        } else if (key === 'custom_data' && t[key]) {
            node = el('pre', {class: 'inline'}, jsonText(t[key]));
        } else {
            node = value(key, t[key]);
        }
        return [key, label, node];
    });
}

/** The options: the "options" JSON text (SQL stores) with the top-level option fields (Redis store) added. */
function optionFields(t) {
    let options;
    try {
        options = t.options ? JSON.parse(t.options) : {};
    } catch (e) {
        options = {options: t.options};
    }
    for (const key of OPTION_FIELDS) {
        if (!(key in options) && key in t && !(key === 'concurrent' && t[key] === false)) {
            options[key] = t[key];
        }
    }
    const keys = [...OPTION_FIELDS.filter((k) => k in options),
        ...Object.keys(options).filter((k) => !OPTION_FIELDS.includes(k))];
    return keys.map((k) => [k, k, value(k, options[k])]);
}

/** Whatever else the server sent (steps and payloads from a Redis store, newer fields), so nothing is hidden. */
function otherFields(t) {
    const known = new Set([...GLOBAL_FIELDS.map(([k]) => k), ...OPTION_FIELDS, 'options']);
    return Object.keys(t).filter((k) => !known.has(k)).map((k) => [k, k, value(k, t[k])]);
}

function branchTable(branches) {
    const head = ['Branch', 'Op', 'Status', 'URL', 'Created', 'Updated', 'Finished'];
    return el('table', {class: 'list', id: 'branches'},
        el('thead', {}, el('tr', {}, head.map((h) => el('th', {scope: 'col'}, h)))),
        el('tbody', {}, branches.length ? branches.map((b) => el('tr', {},
            el('td', {}, b.branch_id || ''),
            el('td', {}, b.op || ''),
            el('td', {}, badge(b.status)),
            // Text, never a link: the URL is the business service's, and may be anything.
            el('td', {class: 'url'}, b.url ? el('code', {}, b.url) : el('span', {class: 'muted'}, '(none)')),
            el('td', {}, time(b.create_time)),
            el('td', {}, time(b.update_time)),
            el('td', {}, time(b.finish_time))))
            : el('tr', {}, el('td', {colspan: head.length, class: 'empty'}, 'No branches.'))));
}

/** Renders one transaction into main. */
export function detailView(main, gid) {
    const heading = el('h1', {class: 'gid-title'}, gid);
    const body = el('div', {}, el('p', {class: 'muted'}, 'Loading…'));
    const refresh = el('button', {type: 'button', id: 'refresh', onclick: () => load()}, 'Refresh');
    const retry = el('button', {type: 'button', id: 'retry-now', disabled: true, onclick: retryNow}, 'Retry now');
    const stop = el('button', {type: 'button', id: 'force-stop', class: 'danger', disabled: true,
        onclick: () => confirmForceStop(gid, () => load(false))}, 'Force stop');
    const view = el('section', {},
        el('p', {}, link('/admin/transactions', '← Transactions')),
        el('div', {class: 'title-row'}, heading, el('div', {class: 'actions'}, refresh, retry, stop)),
        body);
    fill(main, view);

    async function retryNow() {
        retry.disabled = true;
        try {
            await api('/api/dtmsvr/resetNextCronTime', {method: 'POST', body: {gid}});
            showNotice(`Retry now: ${gid} is due; the server's next poll runs it.`);
            await load(false);
        } catch (e) {
            fail(e);
            retry.disabled = false;
        }
    }

    async function load(clear = true) {
        try {
            const reply = await api('/api/dtmsvr/query?gid=' + encodeURIComponent(gid));
            if (!view.isConnected) {
                return;
            }
            if (clear) {
                clearBanner();
            }
            const t = reply.transaction;
            if (!t) {
                retry.disabled = stop.disabled = true;
                fill(body, el('p', {class: 'empty', id: 'not-found'},
                    'No transaction has this gid: it never existed, or was purged after it finished.'));
                return;
            }
            const done = FINAL.has(t.status) ? `The transaction is ${t.status}: nothing is left to do.` : '';
            retry.disabled = stop.disabled = Boolean(done);
            retry.title = done || 'Run the next round at the next poll instead of after the retry interval';
            stop.title = done || 'Set the transaction to failed now, without calling any branch';
            fill(heading, [t.gid, ' ', badge(t.status)]);
            const options = optionFields(t);
            const other = otherFields(t);
            const branches = reply.branches || [];
            fill(body, [
                el('h2', {}, 'Transaction'), fieldList(globalFields(t)),
                el('h2', {}, 'Options'), options.length ? fieldList(options) : el('p', {class: 'muted'}, 'None.'),
                other.length ? [el('h2', {}, 'Other fields'), fieldList(other)] : null,
                el('h2', {}, `Branches (${branches.length})`), branchTable(branches),
                el('details', {class: 'raw'}, el('summary', {}, 'Raw JSON'),
                    el('pre', {id: 'raw-json'}, JSON.stringify(reply, null, 2)))]);
        } catch (e) {
            if (view.isConnected) {
                fail(e);
            }
        }
    }

    load();
}

/** The force-stop confirmation: a modal dialog that needs a reason; then reload() shows the new status. */
function confirmForceStop(gid, reload) {
    const reason = el('textarea', {id: 'stop-reason', name: 'reason', rows: 3, maxlength: 1024, required: true});
    const error = el('p', {class: 'dialog-error', id: 'stop-error', role: 'alert', hidden: true});
    const confirm = el('button', {type: 'submit', class: 'danger', id: 'stop-confirm'}, 'Force stop');
    const cancel = el('button', {type: 'button', id: 'stop-cancel', onclick: () => dialog.close()}, 'Cancel');
    const showError = (message) => {
        error.textContent = message;
        error.hidden = false;
    };
    const form = el('form', {onsubmit: async (ev) => {
        ev.preventDefault();
        const why = reason.value.trim();
        if (!why) {
            showError('Give a reason: it is recorded with the operator action.');
            reason.focus();
            return;
        }
        confirm.disabled = true;
        try {
            await api('/api/dtmsvr/forceStop', {method: 'POST', body: {gid, reason: why}});
            dialog.close();
            showNotice(`Force-stopped ${gid}: its status is now failed.`);
            reload();
        } catch (e) {
            if (e instanceof ApiError && e.status === 401) {
                dialog.close();
                fail(e);
            } else {
                showError(e.message); // a 403 or 409 says why, where the operator is looking
            }
        } finally {
            confirm.disabled = false;
        }
    }},
    el('h2', {id: 'stop-title'}, 'Force stop this transaction?'),
    el('p', {}, el('code', {}, gid)),
    el('p', {}, 'Its status becomes failed at once. No branch is called: nothing is compensated or rolled back, '
        + 'so the business services may need repair by hand.'),
    el('label', {for: 'stop-reason'}, 'Reason (required)'),
    reason, error,
    el('div', {class: 'actions'}, cancel, confirm));
    const dialog = el('dialog', {class: 'confirm', 'aria-labelledby': 'stop-title'}, form);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
}

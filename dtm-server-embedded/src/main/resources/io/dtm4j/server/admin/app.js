// dtm4j admin UI: plain ES2020 modules, no framework, no build step; it talks only to this server's /api/...
// routes. This module routes BASE/admin/... addresses (the server answers index.html for each) to the pages, and
// asks for a token when the server wants one. See ui.js for the rule on how server values reach the page.
//
// There is no topics page: dtm4j does not implement DTM's KV store, so msg topics do not exist here.

import {fail, forgetToken, onSignInNeeded, setToken, token} from './api.js';
import {detailView} from './detail.js';
import {listView} from './list.js';
import {serverView} from './server.js';
import {BASE, clearBanner, el, fill, link, showNotice} from './ui.js';

const main = document.getElementById('app');
let leave = null; // stops what the current page runs (the list's refresh timer)

function leavePage() {
    if (leave) {
        leave();
        leave = null;
    }
}

function navigate(url) {
    history.pushState(null, '', url);
    clearBanner();
    render();
}

function render() {
    leavePage();
    const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
    const detail = /^\/admin\/transactions\/([^/]+)$/.exec(path);
    let section = 'transactions';
    try {
        if (['', '/', '/admin', '/admin/', '/admin/transactions'].includes(path)) {
            leave = listView(main, navigate);
        } else if (detail) {
            detailView(main, decodeURIComponent(detail[1]));
        } else if (path === '/admin/server') {
            section = 'server';
            serverView(main);
        } else {
            section = '';
            fill(main, [el('h1', {}, 'Not found'), el('p', {}, 'This admin page does not exist. ',
                link('/admin/transactions', 'Go to the transactions'))]);
        }
    } catch (e) {
        fail(e);
    }
    for (const a of document.querySelectorAll('[data-nav]')) {
        a.classList.toggle('active', a.dataset.nav === section);
    }
}

function updateSession() {
    document.getElementById('session').hidden = !token();
}

/** The sign-in form, in place of the page, when the server answers 401. */
function signInView(message, refused) {
    forgetToken(); // a refused token is of no further use
    updateSession();
    leavePage();
    const input = el('input', {id: 'token', type: 'password', autocomplete: 'off', required: true,
        spellcheck: 'false'});
    const form = el('form', {class: 'signin', onsubmit: (ev) => {
        ev.preventDefault();
        const t = input.value.trim();
        if (t) {
            setToken(t);
            updateSession();
            clearBanner();
            render();
        }
    }},
    el('h1', {}, 'Sign in'),
    el('p', {}, refused ? 'The server refused the token.' : 'This server asks for a token.'),
    el('p', {class: 'muted', id: 'signin-message'}, message),
    el('label', {for: 'token'}, 'Token'),
    input,
    el('p', {class: 'muted'}, 'The token stays in this browser tab only (session storage) and is sent as '
        + '"Authorization: Bearer" with every call. "Sign out" forgets it.'),
    el('button', {type: 'submit', class: 'primary'}, 'Sign in'));
    clearBanner();
    fill(main, form);
    input.focus();
}

document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-route]');
    if (a && ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && !ev.altKey) {
        ev.preventDefault();
        navigate(a.getAttribute('href'));
    }
});
window.addEventListener('popstate', () => {
    clearBanner();
    render();
});
document.getElementById('banner-close').addEventListener('click', clearBanner);
document.getElementById('sign-out').addEventListener('click', () => {
    forgetToken();
    updateSession();
    render();
    showNotice('Signed out: this tab has forgotten the token.');
});
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
document.getElementById('footer').textContent =
    `Times are in ${zone}; hover over one for the exact value the server sent.`;
onSignInNeeded(signInView);
updateSession();
render();

// Calls to the server's /api/... routes (absolute paths, whatever the UI's base path, as DTM's UI), with the
// bearer token of this tab when there is one.

import {setBusy, showError} from './ui.js';

const TOKEN_KEY = 'dtm4j.admin.token';

/** A reply that was not 2xx, or no reply at all (status 0); the message is the server's. */
export class ApiError extends Error {
    constructor(status, message, sentToken = false) {
        super(message);
        this.status = status;
        this.sentToken = sentToken; // a 401 to a call that carried a token means the token was refused
    }
}

/** The token kept for this tab (sessionStorage: gone when the tab closes), or null. */
export const token = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (t) => sessionStorage.setItem(TOKEN_KEY, t);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** Calls the server; resolves to the parsed JSON (or the text), rejects with an ApiError. */
export async function api(path, {method = 'GET', body, text = false} = {}) {
    const headers = {Accept: text ? 'text/plain' : 'application/json'};
    const sentToken = Boolean(token());
    if (sentToken) {
        headers.Authorization = 'Bearer ' + token();
    }
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    setBusy(1);
    try {
        let res;
        try {
            res = await fetch(path, {method, headers, cache: 'no-store', credentials: 'same-origin',
                body: body === undefined ? undefined : JSON.stringify(body)});
        } catch (e) {
            throw new ApiError(0, `The server did not answer ${method} ${path}: is dtm running? (${e.message})`);
        }
        const raw = await res.text();
        if (res.ok) {
            return text ? raw : JSON.parse(raw);
        }
        let message = raw;
        try {
            message = JSON.parse(raw).message || raw;
        } catch (e) {
            // not JSON: the text as it is
        }
        throw new ApiError(res.status, `${method} ${path.split('?')[0]}: ${res.status} ${message || res.statusText}`,
            sentToken);
    } finally {
        setBusy(-1);
    }
}

let signIn = () => {};

/** Sets what to show when the server wants a token: fn(message, refused). */
export function onSignInNeeded(fn) {
    signIn = fn;
}

/** Shows a failure: the sign-in form for a 401, else the message (the server's, for a 403) in the banner. */
export function fail(err) {
    if (err instanceof ApiError && err.status === 401) {
        signIn(err.message, err.sentToken);
    } else if (err instanceof ApiError) {
        showError(err.message);
    } else {
        showError('The admin UI failed: ' + err);
        console.error(err);
    }
}

package io.dtm4j.server;

import io.dtm4j.client.wire.DtmJson;

/**
 * One HTTP reply of the API: a status and a body, JSON unless said otherwise (never empty, as DTM's Java SDK
 * treats an empty body as a failure).
 *
 * @param status      HTTP status
 * @param body        UTF-8 JSON, or UTF-8 text of {@code contentType}
 * @param contentType the Content-Type header
 */
record ApiReply(int status, byte[] body, String contentType) {
    static final String JSON = "application/json; charset=utf-8";

    /** A JSON reply. */
    ApiReply(int status, byte[] body) {
        this(status, body, JSON);
    }

    static ApiReply ok(byte[] body) {
        return new ApiReply(200, body);
    }

    static ApiReply success() {
        return ok(DtmJson.renderSuccess());
    }

    static ApiReply failure(String message) {
        return new ApiReply(409, DtmJson.renderFailure(message));
    }

    static ApiReply ongoing(String message) {
        return new ApiReply(425, DtmJson.renderOngoing(message));
    }

    static ApiReply error(int status, String message) {
        return new ApiReply(status, DtmJson.renderError(message));
    }
}

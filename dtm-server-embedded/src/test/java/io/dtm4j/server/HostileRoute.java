package io.dtm4j.server;

/**
 * Every route of {@link ApiHandler}, with a request that succeeds (200) on the store that
 * {@link HostileInputProperties} seeds before each try: the base that the generators damage. Bodies use gid
 * {@code h-new} for a transaction the request creates, {@code seed-*} for one that the seed holds.
 */
enum HostileRoute {
    VERSION("GET", "/api/dtmsvr/version", "", "", GidAt.NONE),
    NEW_GID("GET", "/api/dtmsvr/newGid", "", "", GidAt.NONE),
    PREPARE("POST", "/api/dtmsvr/prepare", "{\"gid\":\"h-new\",\"trans_type\":\"msg\",\"steps\":[{\"action\":"
            + "\"http://busi/msg\"}],\"payloads\":[\"{}\"],\"query_prepared\":\"http://busi/query\"}", "", GidAt.BODY),
    SUBMIT("POST", "/api/dtmsvr/submit", "{\"gid\":\"h-new\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
            + "\"http://busi/in\",\"compensate\":\"http://busi/in-revert\"},{\"action\":\"http://busi/out\","
            + "\"compensate\":\"http://busi/out-revert\"}],\"payloads\":[\"{\\\"amount\\\":30}\",\"{}\"],"
            + "\"custom_data\":\"{\\\"orders\\\":{\\\"1\\\":[0]}}\",\"wait_result\":true,\"timeout_to_fail\":60,"
            + "\"branch_headers\":{\"X-Trace\":\"t1\"}}", "", GidAt.BODY),
    ABORT("POST", "/api/dtmsvr/abort", "{\"gid\":\"seed-tcc\",\"trans_type\":\"tcc\",\"rollback_reason\":\"no\"}", "",
            GidAt.BODY),
    REGISTER_BRANCH("POST", "/api/dtmsvr/registerBranch", "{\"gid\":\"seed-tcc\",\"trans_type\":\"tcc\","
            + "\"branch_id\":\"02\",\"confirm\":\"http://busi/confirm\",\"cancel\":\"http://busi/cancel\","
            + "\"data\":\"{}\"}", "", GidAt.BODY),
    REGISTER_TCC_BRANCH("POST", "/api/dtmsvr/registerTccBranch", "{\"gid\":\"seed-tcc\",\"trans_type\":\"tcc\","
            + "\"branch_id\":\"03\",\"confirm\":\"http://busi/confirm\",\"cancel\":\"http://busi/cancel\"}", "",
            GidAt.BODY),
    REGISTER_XA_BRANCH("POST", "/api/dtmsvr/registerXaBranch", "{\"gid\":\"seed-xa\",\"trans_type\":\"xa\","
            + "\"branch_id\":\"02\",\"url\":\"http://busi/xa\",\"data\":\"{}\"}", "", GidAt.BODY),
    PREPARE_WORKFLOW("POST", "/api/dtmsvr/prepareWorkflow", "{\"gid\":\"h-new\",\"trans_type\":\"workflow\","
            + "\"query_prepared\":\"http://busi/wf\",\"custom_data\":\"{\\\"name\\\":\\\"wf\\\",\\\"data\\\":"
            + "\\\"e30=\\\"}\"}", "", GidAt.BODY),
    QUERY("GET", "/api/dtmsvr/query", "", "gid=seed-tcc", GidAt.QUERY),
    ALL("GET", "/api/dtmsvr/all", "", "limit=5&status=prepared&transType=tcc&gidPrefix=seed-"
            + "&createTimeStart=0&createTimeEnd=4102444800000", GidAt.QUERY),
    FORCE_STOP("POST", "/api/dtmsvr/forceStop", "{\"gid\":\"seed-saga\",\"reason\":\"stuck\"}", "", GidAt.BODY),
    RESET_NEXT_CRON_TIME("POST", "/api/dtmsvr/resetNextCronTime", "{\"gid\":\"seed-saga\"}", "", GidAt.BODY),
    RESET_CRON_TIME("POST", "/api/dtmsvr/resetCronTime", "", "timeout=0&limit=5", GidAt.NONE),
    PING("GET", "/api/ping", "", "", GidAt.NONE),
    API_VERSION("GET", "/api/version", "", "", GidAt.NONE),
    READY("GET", "/api/ready", "", "", GidAt.NONE),
    METRICS("GET", "/api/metrics", "", "", GidAt.NONE),
    ADMIN_INFO("GET", "/api/admin/info", "", "", GidAt.NONE);

    /** Where the route reads a gid. */
    enum GidAt { NONE, BODY, QUERY }

    final String method;
    final String path;
    final String body;
    final String query;
    final GidAt gidAt;

    HostileRoute(String method, String path, String body, String query, GidAt gidAt) {
        this.method = method;
        this.path = path;
        this.body = body;
        this.query = query;
        this.gidAt = gidAt;
    }

    /** The path with the base query string, if any. */
    String target() {
        return target(query);
    }

    String target(String rawQuery) {
        return rawQuery.isEmpty() ? path : path + "?" + rawQuery;
    }

    /** True for the routes that create the transaction named in their body (gid {@code h-new}). */
    boolean creates() {
        return this == PREPARE || this == SUBMIT || this == PREPARE_WORKFLOW;
    }
}

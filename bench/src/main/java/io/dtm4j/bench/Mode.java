package io.dtm4j.bench;

/** How a cell reaches the store (spec performance.md 4.1). */
enum Mode {
    /** The driver calls the two busi actions itself: the HTTP-only baseline. */
    NO_DTM("no-dtm"),
    /** The coordinator as a library in the driver JVM, branches over HTTP with the real OkHttpBranchInvoker. */
    EMBEDDED("embedded"),
    /** The standalone server (dtm.jar) in a child JVM; the driver uses the SDK over HTTP. */
    SERVER("server"),
    /** DTM's store calls for a happy saga, 4 writes, through our store; no coordinator. */
    STORE_DTM("store-only DTM-shaped"),
    /** Our store calls for a happy saga, 2 writes; no coordinator. */
    STORE_OURS("store-only dtm4j"),
    /** One raw durable write per operation, without our code. */
    RAW("raw store write");

    private final String title;

    Mode(String title) {
        this.title = title;
    }

    String title() {
        return title;
    }
}

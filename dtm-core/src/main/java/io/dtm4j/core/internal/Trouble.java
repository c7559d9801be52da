package io.dtm4j.core.internal;

/** The worst thing a round saw among branches that are still pending. */
enum Trouble {
    NONE,
    ONGOING,
    ERROR
}

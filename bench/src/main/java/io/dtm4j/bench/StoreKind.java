package io.dtm4j.bench;

import java.util.Locale;

/** The stores the matrix runs on. */
enum StoreKind {
    MEM("mem", "in-memory", false),
    SQLITE("sqlite", "SQLite (embedded default)", true),
    POSTGRES("postgres", "PostgreSQL", true),
    MARIADB("mariadb", "MariaDB", true),
    REDIS("redis", "Redis", true);

    private final String id;
    private final String title;
    private final boolean durable;

    StoreKind(String id, String title, boolean durable) {
        this.id = id;
        this.title = title;
        this.durable = durable;
    }

    /** The short name on the command line and in YAML ({@code Store.Driver}). */
    String id() {
        return id;
    }

    String title() {
        return title;
    }

    /** False for the in-memory store, which keeps nothing across a restart. */
    boolean durable() {
        return durable;
    }

    /** True for stores behind a server process of their own. */
    boolean networked() {
        return this == POSTGRES || this == MARIADB || this == REDIS;
    }

    static StoreKind of(String id) {
        String v = id.trim().toLowerCase(Locale.ROOT);
        for (StoreKind k : values()) {
            if (k.id.equals(v)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown store '" + id + "': use mem, sqlite, postgres, mariadb or redis");
    }
}

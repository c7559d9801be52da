package io.dtm4j.store.jdbc;

/**
 * What a SQL store holds before any server opens it, for {@code dtm check}: found by reading only (no table,
 * schema or database is created and nothing is migrated). Immutable.
 *
 * @param store     the store's name, without secrets ({@code sqlite:<path>}, {@code postgres://host:port/db?schema=s})
 * @param version   the dtm4j schema version found; 0 for none
 * @param latest    the version this dtm4j writes
 * @param dtmTables whether DTM's {@code trans_global} table is there
 */
public record SchemaStatus(String store, int version, int latest, boolean dtmTables) {

    /** True when a server can use the store as it is, or after creating or migrating its schema. */
    public boolean usable() {
        return version <= latest;
    }

    /** One line for the operator: what was found and what the next start does with it. */
    public String describe() {
        if (version == latest) {
            return "schema version " + version + " (current)";
        }
        if (version > latest) {
            return "schema version " + version + " was written by a newer dtm4j (this one knows up to " + latest
                    + "); upgrade dtm4j or point it at another database";
        }
        if (version > 0) {
            return "schema version " + version + "; the server migrates it to version " + latest + " at its next "
                    + "start (back it up first)";
        }
        return dtmTables
                ? "DTM's tables without a dtm4j schema version; the server adopts them as version " + latest
                        + " at its next start"
                : store.startsWith("sqlite:") ? "no tables yet; the server creates schema version " + latest
                        + " at its first start"
                : "no tables yet; the server creates schema version " + latest + " at its first start (the user "
                        + "needs the CREATE privilege, or a DBA runs the script of 'dtm schema-sql')";
    }
}

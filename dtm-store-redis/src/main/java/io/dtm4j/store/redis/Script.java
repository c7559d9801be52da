package io.dtm4j.store.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The Lua scripts of the store, one resource file each next to this class. Every multi-key change is one of
 * them, so it runs atomically in Redis. They are loaded once per connection ({@code SCRIPT LOAD}) and called
 * by SHA-1 ({@code EVALSHA}); the SHA is computed here, so a call never needs the script text unless Redis
 * answers {@code NOSCRIPT}.
 */
enum Script {
    /** The intent write: global, status, branches and indexes (DTM's MaySaveNewTrans). */
    INSERT("insert.lua"),
    /** Compare-and-set of the status with global fields and branch statuses folded in (DTM's ChangeGlobalStatus). */
    UPDATE("update.lua"),
    /** New branch rows, duplicates refused (DTM's LockGlobalSaveBranches with start -1). */
    APPEND("append.lua"),
    /** Lease up to n due transactions (DTM's LockOneGlobalTrans, batched). */
    CLAIM("claim.lua"),
    /** Make one transaction due now, re-indexed (unlike DTM's ResetTransGlobalCronTime, G10). */
    RETRY_NOW("retry_now.lua"),
    /** Make due now up to n transactions scheduled later than a threshold (DTM's ResetCronTime). */
    RESET_CRON("reset_cron.lua"),
    /** Delete finished transactions that ended before a cutoff. */
    PURGE("purge.lua");

    private final String file;
    private final String text;
    private final String sha;

    Script(String file) {
        this.file = file;
        this.text = load(file);
        this.sha = sha1(text);
    }

    /** The script source. */
    String text() {
        return text;
    }

    /** Lower-case hex SHA-1 of the source, as Redis names a cached script. */
    String sha() {
        return sha;
    }

    /** The resource file name, for messages. */
    String file() {
        return file;
    }

    private static String load(String file) {
        try (InputStream in = Script.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("resource " + file + " is missing from the dtm-store-redis jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + file, e);
        }
    }

    static String sha1(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-1");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }
}

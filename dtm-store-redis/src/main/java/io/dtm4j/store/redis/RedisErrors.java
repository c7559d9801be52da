package io.dtm4j.store.redis;

import io.dtm4j.core.DtmException;
import io.dtm4j.core.StoreUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Turns what Lettuce throws into {@link StoreUnavailableException}s that name the store and say what to check
 * ("is Redis running at 127.0.0.1:6390?"). Messages never carry the password: the address comes from the
 * endpoint, and any text from Redis or Lettuce has the password masked. Immutable.
 */
final class RedisErrors {
    private final String name;
    private final String address;
    private final String password;
    private final Duration timeout;

    RedisErrors(String name, String address, String password, Duration timeout) {
        this.name = name;
        this.address = address;
        this.password = password;
        this.timeout = timeout;
    }

    /** The store's secret-free name, e.g. {@code redis://127.0.0.1:6390/0?prefix={a}}. */
    String name() {
        return name;
    }

    /** Translates a failure of {@code what} (e.g. {@code gid=g1: insert}); unwraps future wrappers. */
    RuntimeException translate(String what, Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof DtmException d) {
            return d;
        }
        if (t instanceof RedisCommandTimeoutException || t instanceof TimeoutException) {
            return unavailable(what, "no answer within " + timeout.toMillis() + " ms: is Redis at " + address
                    + " running, reachable and not paused or overloaded?", t);
        }
        if (t instanceof RedisCommandExecutionException) {
            String reply = mask(t.getMessage());
            if (reply.startsWith("NOAUTH") || reply.startsWith("WRONGPASS") || reply.startsWith("NOPERM")) {
                return unavailable(what, "Redis at " + address + " refused the credentials (" + reply
                        + "): check the user and password", t);
            }
            return unavailable(what, "Redis at " + address + " answered an error (" + reply
                    + "): check the Redis server's state and log", t);
        }
        if (t instanceof RedisException || t instanceof IOException || t instanceof CancellationException) {
            return unavailable(what, "cannot reach Redis (" + mask(reason(t)) + "): is Redis running at "
                    + address + "?", t);
        }
        if (t instanceof RuntimeException r) {
            return r;
        }
        return unavailable(what, "unexpected failure (" + mask(String.valueOf(t)) + ")", t);
    }

    /** The exception of a call after {@link java.io.Closeable#close()}. */
    StoreUnavailableException closed(String what) {
        return new StoreUnavailableException(what + ": the store " + name + " is closed");
    }

    /** The exception of a call interrupted while it waited for Redis; the caller restores the interrupt flag. */
    StoreUnavailableException interrupted(String what, InterruptedException e) {
        return new StoreUnavailableException(what + ": interrupted while waiting for " + name, e);
    }

    private StoreUnavailableException unavailable(String what, String detail, Throwable cause) {
        return new StoreUnavailableException(what + ": " + name + ": " + detail, cause);
    }

    private String mask(String text) {
        String s = text == null ? "" : text;
        return password.isEmpty() ? s : s.replace(password, "***");
    }

    /** The first message in the cause chain (Lettuce often wraps the useful one), else the type's name. */
    private static String reason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) {
                return c.getMessage();
            }
        }
        return t.getClass().getSimpleName();
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}

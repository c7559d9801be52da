package io.dtm4j.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin UI's static files, shipped in the jar under {@code io/dtm4j/server/admin/}: no build step, nothing
 * fetched from the network at run time. Served at {@code /} (or under {@code AdminBasePath}); {@code /} and every
 * {@code /admin/...} path answer {@code index.html}, whose {@code __BASE_PATH__} placeholder becomes the base path
 * so the page finds its assets. The UI calls the API at absolute {@code /api/...} paths, as DTM's does.
 * Thread-safe; files are read once and cached.
 */
final class AdminUi {
    private static final String ROOT = "/io/dtm4j/server/admin/";
    private static final String INDEX = "index.html";
    private static final String PLACEHOLDER = "__BASE_PATH__";
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon");

    private final String basePath;
    /** The shipped files read so far; never a name that is not one, since clients can make up any number. */
    private final Map<String, ApiReply> cache = new ConcurrentHashMap<>();

    /** @param basePath {@code AdminBasePath}: empty, or a path such as {@code /dtm} (no trailing slash) */
    AdminUi(String basePath) {
        this.basePath = basePath;
    }

    /** The base path the UI is served under; empty for {@code /}. */
    String basePath() {
        return basePath;
    }

    /**
     * The file for a request path, if the path belongs to the UI: {@code index.html} for the base path itself and
     * for {@code /admin/...}, else the asset of that name; empty for anything else (the caller answers 404).
     */
    Optional<ApiReply> serve(String path) {
        if (!path.startsWith(basePath + "/") && !path.equals(basePath)) {
            return Optional.empty();
        }
        String rest = path.substring(basePath.length());
        if (rest.isEmpty() || rest.equals("/") || rest.equals("/admin") || rest.startsWith("/admin/")) {
            return cached(INDEX);
        }
        String name = rest.substring(1);
        if (!name.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9]+)+") || name.equals(INDEX)) {
            return Optional.empty(); // no directories, no dot-dot, one canonical address for the index
        }
        return cached(name);
    }

    private Optional<ApiReply> cached(String name) {
        ApiReply hit = cache.get(name);
        if (hit != null) {
            return Optional.of(hit);
        }
        Optional<ApiReply> file = load(name);
        file.ifPresent(f -> cache.putIfAbsent(name, f));
        return file;
    }

    private Optional<ApiReply> load(String name) {
        String type = TYPES.get(name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT));
        if (type == null) {
            return Optional.empty();
        }
        try (InputStream in = AdminUi.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            if (name.equals(INDEX)) {
                bytes = new String(bytes, StandardCharsets.UTF_8).replace(PLACEHOLDER, basePath)
                        .getBytes(StandardCharsets.UTF_8);
            }
            return Optional.of(new ApiReply(200, bytes, type));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the admin UI's " + name + " from the jar", e);
        }
    }
}

package io.dtm4j.client;

/** URL checks shared by the builders. */
final class Urls {

    private Urls() {
    }

    /** Returns {@code url} if it is empty (an op that succeeds without a call) or an http(s) URL. */
    static String branchUrl(String name, String url) {
        if (url == null) {
            throw new IllegalArgumentException(name + " must not be null; use \"\" for an op without a call");
        }
        if (!url.isEmpty() && !url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalArgumentException(name + " must be empty or start with http:// or https://, got '"
                    + url + "'");
        }
        return url;
    }

    /**
     * Returns {@code url} if it is an http(s) URL or a {@code local:} URL served in-process
     * ({@link LocalWorkflowInvoker}).
     */
    static String resumeUrl(String name, String url) {
        if (isLocal(url) && url.length() > LocalWorkflowInvoker.LOCAL_SCHEME.length()) {
            return url;
        }
        if (url == null || url.isEmpty()) {
            throw new IllegalArgumentException(name + " is required (an http://, https:// or local: URL)");
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalArgumentException(name + " must start with http://, https:// or local:, got '" + url
                    + "'");
        }
        return url;
    }

    /** True for a {@code local:} URL, served in-process by a {@link LocalWorkflowInvoker}. */
    static boolean isLocal(String url) {
        return url != null && url.startsWith(LocalWorkflowInvoker.LOCAL_SCHEME);
    }

    /** Returns {@code url} if it is an http(s) URL. */
    static String requiredUrl(String name, String url) {
        if (url == null || url.isEmpty()) {
            throw new IllegalArgumentException(name + " is required (an http:// or https:// URL)");
        }
        return branchUrl(name, url);
    }
}

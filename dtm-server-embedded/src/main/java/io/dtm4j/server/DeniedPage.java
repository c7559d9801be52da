package io.dtm4j.server;

import java.nio.charset.StandardCharsets;

/** The page a browser gets when the admin UI is not open to it: the reason and how to open it. Stateless. */
final class DeniedPage {
    private DeniedPage() {
    }

    static ApiReply html(int status, String message) {
        String page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dtm: " + status
                + "</title></head><body><h1>dtm admin: not available here</h1><p>" + escape(message)
                + "</p><p>See the operator's guide, section Security.</p></body></html>";
        return new ApiReply(status, page.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8");
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}

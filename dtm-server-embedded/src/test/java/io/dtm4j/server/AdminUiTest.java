package io.dtm4j.server;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class AdminUiTest {
    private static String body(ApiReply r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void theIndexAnswersTheRootAndEveryAdminPathWithTheBasePathFilledIn() {
        AdminUi ui = new AdminUi("");
        for (String path : new String[] {"/", "/admin", "/admin/transactions", "/admin/detail/g-1"}) {
            ApiReply r = ui.serve(path).orElseThrow(() -> new AssertionError(path));
            assertThat(r.contentType()).as(path).isEqualTo("text/html; charset=utf-8");
            assertThat(body(r)).as(path).contains("src=\"/app.js\"").doesNotContain("__BASE_PATH__");
        }
        AdminUi under = new AdminUi("/ops/dtm");
        assertThat(body(under.serve("/ops/dtm").orElseThrow())).contains("src=\"/ops/dtm/app.js\"");
        assertThat(body(under.serve("/ops/dtm/admin/x").orElseThrow())).contains("href=\"/ops/dtm/app.css\"");
        assertThat(under.serve("/")).isEmpty();
        assertThat(under.serve("/app.js")).isEmpty();
        assertThat(under.serve("/ops/dtmx")).isEmpty();
    }

    @Test
    void assetsHaveTheirTypeAndNothingOutsideTheFolderIsServed() {
        AdminUi ui = new AdminUi("");
        assertThat(ui.serve("/app.js").orElseThrow().contentType()).isEqualTo("text/javascript; charset=utf-8");
        assertThat(ui.serve("/app.css").orElseThrow().contentType()).isEqualTo("text/css; charset=utf-8");
        for (String path : new String[] {"/missing.js", "/../DtmServer.class", "/..%2fDtmServer.class", "/a/b.js",
                "/index.html", "/app", "/AdminUi.class", "/logback.xml"}) {
            assertThat(ui.serve(path)).as(path).isEmpty();
        }
    }
}

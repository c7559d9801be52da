package io.dtm4j.server;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class AdminUiTest {
    /** The UI's ES modules; app.js, which index.html loads, imports the others. */
    private static final List<String> MODULES =
            List.of("app.js", "ui.js", "api.js", "list.js", "detail.js", "server.js");
    private static final Pattern IMPORT = Pattern.compile("from '\\./([^']+)'");

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
        for (String module : MODULES) {
            assertThat(ui.serve("/" + module).orElseThrow(() -> new AssertionError(module)).contentType())
                    .as(module).isEqualTo("text/javascript; charset=utf-8");
        }
        assertThat(ui.serve("/app.css").orElseThrow().contentType()).isEqualTo("text/css; charset=utf-8");
        for (String path : new String[] {"/missing.js", "/../DtmServer.class", "/..%2fDtmServer.class", "/a/b.js",
                "/index.html", "/app", "/AdminUi.class", "/logback.xml"}) {
            assertThat(ui.serve(path)).as(path).isEmpty();
        }
    }

    @Test
    void everyModuleThatIsImportedIsServedAndEveryServedModuleIsImported() {
        AdminUi ui = new AdminUi("");
        Set<String> imported = new TreeSet<>(Set.of("app.js"));
        for (String module : MODULES) {
            Matcher m = IMPORT.matcher(body(ui.serve("/" + module).orElseThrow()));
            while (m.find()) {
                imported.add(m.group(1));
            }
        }
        assertThat(imported).containsExactlyInAnyOrderElementsOf(MODULES);
    }

    /**
     * The rules the page's Content-Security-Policy and its escaping depend on: server data never parsed as HTML,
     * no inline script, style or event handler, nothing loaded from another origin. The browser tests
     * ({@code AdminUiIT}) check the same at run time.
     */
    @Test
    void theUiNeverParsesDataAsHtmlAndHasNoInlineCodeOrForeignResources() {
        AdminUi ui = new AdminUi("");
        for (String module : MODULES) {
            assertThat(body(ui.serve("/" + module).orElseThrow())).as(module)
                    .doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                            "new Function", ".style.", "'style'", "http://", "https://", "window.prompt");
        }
        String html = body(ui.serve("/").orElseThrow());
        assertThat(html).doesNotContain("style=", "<style", "http://", "https://", "javascript:")
                .doesNotContainPattern("\\son[a-z]+=").doesNotContainPattern("<script(?![^>]*\\ssrc=)");
        assertThat(body(ui.serve("/app.css").orElseThrow())).doesNotContain("@import", "url(");
    }
}

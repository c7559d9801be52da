package io.dtm4j.server;

import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the hostile-input properties found, each cut down to a small example and kept as a plain test. */
class HostileInputRegressionTest {

    /**
     * Found by {@code HostileInputProperties.generatedPaths}, as small as {@code HEAD /a.js}: the admin UI
     * remembered every asset name it was asked for, found or not, and before any access check, so any client could
     * fill the heap with made-up names (one map entry per name, up to the JDK's request-line limit).
     */
    @Test
    void aMadeUpAssetNameIsNotRemembered() {
        try (RouteFixture f = new RouteFixture()) {
            assertThat(f.method("HEAD", "/a.js").status()).isEqualTo(404);
            for (int i = 0; i < 1000; i++) {
                Reply r = f.get("/made-up-" + i + ".js");
                assertThat(r.status()).as("%s", r).isEqualTo(404);
            }
            assertThat(f.get("/app.js").status()).isEqualTo(200);
            assertThat(f.get("/").status()).isEqualTo(200);
            assertThat(HostileChecks.uiCache(f.server).keySet().stream().map(Object::toString))
                    .containsExactlyInAnyOrder("app.js", "index.html");
        }
    }
}

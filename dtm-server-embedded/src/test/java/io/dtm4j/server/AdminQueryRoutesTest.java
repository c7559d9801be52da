package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.dtm4j.server.RouteFixture.API;
import static io.dtm4j.server.RouteFixture.assertError;
import static io.dtm4j.server.RouteFixture.assertJson;
import static io.dtm4j.server.RouteFixture.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

/** What the admin UI asks beyond DTM's routes: {@code /all?gidPrefix=} and the counts of {@code /api/admin/info}. */
class AdminQueryRoutesTest {
    private final RouteFixture f = new RouteFixture();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void allFiltersByGidPrefixWithTheOtherFiltersAndPaging() {
        for (String gid : List.of("order_1", "pay_1", "orderX2", "order_3", "ORDER_4", "order_5")) {
            assertSuccess(f.post(API + "prepare", tcc(gid)));
        }
        assertSuccess(f.post(API + "abort", tcc("order_3")));

        assertThat(gids(API + "all?gidPrefix=order_")).containsExactly("order_5", "order_3", "order_1");
        assertThat(gids(API + "all?gidPrefix=order_&status=prepared")).containsExactly("order_5", "order_1");
        assertThat(gids(API + "all?gidPrefix=order&transType=saga")).isEmpty();
        assertThat(gids(API + "all?gidPrefix=order_5")).containsExactly("order_5");

        List<String> paged = new ArrayList<>();
        String position = "";
        do {
            JsonNode page = f.get(API + "all?gidPrefix=order_&limit=1&position=" + position).json();
            page.path("transactions").forEach(t -> paged.add(t.path("gid").asText()));
            position = page.path("next_position").asText();
        } while (!position.isEmpty());
        assertThat(paged).containsExactly("order_5", "order_3", "order_1");
    }

    @Test
    void anExactGidKeepsDtmsAnswerWhateverTheGidPrefix() {
        assertSuccess(f.post(API + "prepare", tcc("order_1")));

        assertThat(gids(API + "all?gid=order_1&gidPrefix=pay")).containsExactly("order_1");
        assertThat(gids(API + "all?gid=order_&gidPrefix=order_")).isEmpty();
    }

    @Test
    void aGidPrefixOutsideTheGidAlphabetIs400() {
        assertError(f.get(API + "all?gidPrefix=order%25"), 400, "gidPrefix", "A-Z a-z 0-9 _ - . : @");
        assertError(f.get(API + "all?gidPrefix=" + "x".repeat(129)), 400, "gidPrefix", "129 characters");
        assertThat(gids(API + "all?gidPrefix=")).as("an empty value is no filter").isEmpty();
        f.assertAlive();
    }

    @Test
    void adminInfoCountsEveryStatusByWireName() {
        assertSuccess(f.post(API + "prepare", tcc("t1")));
        assertSuccess(f.post(API + "prepare", tcc("t2")));
        assertSuccess(f.post(API + "prepare", tcc("t3")));
        assertSuccess(f.post(API + "abort", tcc("t3")));

        Reply r = f.get("/api/admin/info");

        assertThat(r.status()).isEqualTo(200);
        assertJson(r);
        assertThat(r.json().path("store_up").asBoolean()).isTrue();
        assertThat(r.json().path("counts").toString())
                .isEqualTo("{\"prepared\":2,\"submitted\":0,\"aborting\":0,\"succeed\":0,\"failed\":1}");
    }

    @Test
    void adminInfoOmitsTheCountsWhenTheStoreCannotCount() {
        assertSuccess(f.post(API + "prepare", tcc("t1")));
        f.storeCannotCount = true;

        JsonNode info = f.get("/api/admin/info").json();

        assertThat(info.path("store_up").asBoolean()).isTrue();
        assertThat(info.has("counts")).isFalse();
        assertThat(info.path("version").asText()).isEqualTo("v9.9.9-test");
    }

    @Test
    void adminInfoOmitsTheCountsWhileTheStoreIsDown() {
        f.storeFault = () -> new StoreUnavailableException("store down (is it running?)");

        Reply r = f.get("/api/admin/info");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("store_up").asBoolean()).isFalse();
        assertThat(r.json().has("counts")).isFalse();
    }

    private List<String> gids(String path) {
        Reply r = f.get(path);
        assertThat(r.status()).as("status of %s", r).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().path("transactions").forEach(t -> out.add(t.path("gid").asText()));
        return out;
    }

    private static String tcc(String gid) {
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"tcc\",\"concurrent\":false,\"protocol\":\"\"}";
    }
}

package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin UI in a real headless Chromium ({@link AdminUiBrowser}) against an in-process server on an in-memory
 * store ({@link AdminUiServer}): what an operator sees and does. Each scenario saves a screenshot to
 * {@code target/screenshots/}. Gid = test name (plus a suffix when a test needs several).
 */
@Timeout(60)
class AdminUiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final By TITLE_BADGE = By.cssSelector("h1.gid-title .badge");
    private static AdminUiBrowser browser;

    /** A failed scenario leaves {@code target/screenshots/FAILED-<test>.png} of the page as it was. */
    @RegisterExtension
    final TestWatcher failureScreenshots = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (browser != null) {
                browser.screenshot("FAILED-" + context.getRequiredTestMethod().getName());
            }
        }
    };

    private AdminUiServer dtm;
    private ChromeDriver driver;
    private String gid;

    @BeforeAll
    static void startBrowser() {
        AdminUiBrowser.deleteScreenshots();
        browser = AdminUiBrowser.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    @BeforeEach
    void setUp(TestInfo info) {
        gid = info.getTestMethod().orElseThrow().getName();
        driver = browser.driver;
    }

    @AfterEach
    void tearDown() {
        try {
            browser.assertNoScriptErrors();
        } finally {
            if (dtm != null) {
                dtm.close();
            }
        }
    }

    private WebElement byId(String id) {
        return driver.findElement(By.id(id));
    }

    private String field(String name) {
        return driver.findElement(By.cssSelector("dd[data-field='" + name + "']")).getText();
    }

    private void openDetail(String id) {
        browser.open(dtm.page("/admin/transactions/" + id));
        browser.visible(By.id("branches"));
    }

    @Test
    void theListShowsTheNewestFirstWithCountsAndTheFiltersNarrowIt() {
        dtm = AdminUiServer.start();
        String first = gid + "-1";
        String second = gid + "-2";
        String stuck = gid + "-3";
        dtm.submit(dtm.saga(first));
        dtm.submit(dtm.saga(second));
        dtm.busi.setTimes("TransIn", "ONGOING", 10);
        dtm.submit(dtm.saga(stuck));
        assertThat(dtm.status(stuck)).isEqualTo("submitted");

        browser.open(dtm.page("/"));
        browser.awaitListed(List.of(stuck, second, first));
        WebElement badge = driver.findElement(By.cssSelector("tr[data-gid='" + stuck + "'] .badge"));
        assertThat(badge.getText()).isEqualTo("submitted");
        assertThat(badge.getDomAttribute("class")).contains("st-submitted");
        assertThat(driver.findElement(By.cssSelector("tr[data-gid='" + first + "'] .badge")).getText())
                .isEqualTo("succeed");
        Map<String, String> counts = Map.of("prepared", "0", "submitted", "1", "aborting", "0", "succeed", "2",
                "failed", "0");
        counts.forEach((status, n) -> browser.awaitText(By.cssSelector("#counts [data-status='" + status + "'] .count"),
                n));
        browser.screenshot("transactions-list");

        new Select(byId("status")).selectByValue("submitted");
        byId("apply").click();
        browser.awaitListed(List.of(stuck));
        assertThat(driver.getCurrentUrl()).endsWith("/admin/transactions?status=submitted");

        new Select(byId("type")).selectByValue("msg");
        byId("apply").click();
        browser.awaitText(By.cssSelector("#transactions td.empty"), "No transactions match these filters.");
        assertThat(browser.listedGids()).isEmpty();

        byId("clear").click();
        browser.awaitListed(List.of(stuck, second, first));
        byId("gid").sendKeys(second);
        byId("apply").click();
        browser.awaitListed(List.of(second));

        byId("gid").clear();
        byId("gid").sendKeys(gid + "-");
        byId("apply").click();
        browser.awaitListed(List.of(stuck, second, first));
        assertThat(driver.getCurrentUrl()).endsWith("/admin/transactions?gid=" + gid + "-");
    }

    @Test
    void nextAndPreviousPageThroughMoreThanTwentyTransactions() {
        dtm = AdminUiServer.start();
        for (int i = 1; i <= 45; i++) {
            dtm.submit(GoTrans.saga(id(i)).add(dtm.busi("TransIn"), dtm.busi("TransInRevert"), GoTrans.transReq()));
        }
        List<String> page1 = ids(45, 26);
        List<String> page2 = ids(25, 6);
        browser.open(dtm.page("/admin/transactions"));
        browser.awaitListed(page1);
        assertThat(byId("prev").isEnabled()).isFalse();

        byId("next").click();
        browser.awaitListed(page2);
        assertThat(byId("page").getText()).startsWith("Page 2");
        browser.screenshot("transactions-page-2");
        byId("next").click();
        browser.awaitListed(ids(5, 1));
        assertThat(byId("next").isEnabled()).as("next on the last, short page").isFalse();

        byId("prev").click();
        browser.awaitListed(page2);
        byId("prev").click();
        browser.awaitListed(page1);
        assertThat(byId("prev").isEnabled()).isFalse();
    }

    private String id(int i) {
        return String.format("%s-%02d", gid, i);
    }

    /** The gids from {@code from} down to {@code to}. */
    private List<String> ids(int from, int to) {
        return IntStream.iterate(from, i -> i >= to, i -> i - 1).mapToObj(this::id).toList();
    }

    @Test
    void theDetailShowsTheFieldsOptionsBranchesAndRawJson() throws IOException {
        dtm = AdminUiServer.start();
        dtm.submit(dtm.saga(gid).retryInterval(15).timeoutToFail(120).requestTimeout(7)
                .branchHeader("x-tenant", "blue"));
        DtmHttp.Query q = dtm.dtm.query(gid);
        assertThat(q.status()).isEqualTo("succeed");

        browser.open(dtm.page("/"));
        browser.awaitListed(List.of(gid));
        driver.findElement(By.linkText(gid)).click();
        browser.visible(By.id("branches"));
        assertThat(driver.getCurrentUrl()).isEqualTo(dtm.page("/admin/transactions/" + gid));

        List<List<String>> expected = new ArrayList<>();
        q.branches().forEach(b -> expected.add(List.of(b.path("branch_id").asText(), b.path("op").asText(),
                b.path("status").asText(), b.path("url").asText())));
        List<List<String>> shown = new ArrayList<>();
        for (WebElement row : driver.findElements(By.cssSelector("#branches tbody tr"))) {
            List<WebElement> cells = row.findElements(By.tagName("td"));
            shown.add(List.of(cells.get(0).getText(), cells.get(1).getText(), cells.get(2).getText(),
                    cells.get(3).getText()));
        }
        assertThat(shown).hasSize(4).containsExactlyElementsOf(expected);

        browser.awaitText(TITLE_BADGE, "succeed");
        assertThat(field("trans_type")).isEqualTo("saga");
        assertThat(field("protocol")).isEqualTo("http");
        assertThat(driver.findElement(By.cssSelector("dd[data-field='finish_time'] time")).getDomAttribute("title"))
                .isEqualTo(q.transaction().path("finish_time").asText());
        assertThat(field("retry_interval")).isEqualTo("15 s");
        assertThat(field("timeout_to_fail")).isEqualTo("2 min");
        assertThat(field("request_timeout")).isEqualTo("7 s");
        assertThat(field("branch_headers")).contains("x-tenant").contains("blue");
        assertThat(byId("retry-now").isEnabled()).as("retry now on a finished transaction").isFalse();
        assertThat(byId("force-stop").isEnabled()).as("force stop on a finished transaction").isFalse();

        assertThat(driver.findElement(By.tagName("main")).getText()).as("rendering slips")
                .doesNotContain("null", "undefined", "[object", "NaN");
        browser.screenshot("transaction-detail");

        driver.findElement(By.cssSelector("details.raw summary")).click();
        JsonNode raw = JSON.readTree(browser.visible(By.id("raw-json")).getText());
        assertThat(raw).isEqualTo(JSON.readTree(dtm.dtm.get("query?gid=" + gid).body()));
    }

    @Test
    void forceStopNeedsAReasonAndFailsAnUnfinishedTransaction() {
        dtm = AdminUiServer.start();
        dtm.busi.setTimes("TransOut", "ONGOING", 5);
        dtm.submit(dtm.saga(gid));
        assertThat(dtm.status(gid)).isEqualTo("submitted");

        openDetail(gid);
        WebElement stop = byId("force-stop");
        browser.await(d -> stop.isEnabled());
        stop.click();
        WebElement reason = browser.visible(By.id("stop-reason"));
        byId("stop-confirm").click();
        assertThat(driver.findElement(By.cssSelector("dialog.confirm")).isDisplayed())
                .as("the dialog stays open without a reason").isTrue();
        assertThat(reason.getDomProperty("validationMessage")).isNotEmpty();

        reason.sendKeys("stuck in TransOut since the bank outage; ticket OPS-42");
        browser.screenshot("force-stop-dialog");
        byId("stop-confirm").click();
        browser.await(ExpectedConditions.invisibilityOfElementLocated(By.cssSelector("dialog.confirm")));
        browser.awaitText(TITLE_BADGE, "failed");
        assertThat(dtm.status(gid)).isEqualTo("failed");
        assertThat(dtm.requests("forcestop")).as("forceStop calls: none without a reason, one with").isEqualTo(1);
        assertThat(byId("banner-text").getText()).startsWith("Force-stopped " + gid);
        assertThat(byId("force-stop").isEnabled()).isFalse();
        assertThat(byId("retry-now").isEnabled()).isFalse();
        browser.screenshot("force-stopped");
    }

    @Test
    void retryNowMakesTheTransactionDueAndTheNextRoundFinishesIt() {
        dtm = AdminUiServer.start();
        dtm.busi.setOnce("TransOut", "ONGOING");
        dtm.submit(dtm.saga(gid).retryInterval(3600));
        DtmHttp.Query before = dtm.dtm.query(gid);
        assertThat(before.status()).isEqualTo("submitted");
        assertThat(before.nextCronTime()).isAfter(Instant.now().plus(Duration.ofMinutes(30)));

        openDetail(gid);
        By nextRetry = By.cssSelector("dd[data-field='next_cron_time'] time");
        String shownBefore = driver.findElement(nextRetry).getDomAttribute("title");
        WebElement retry = byId("retry-now");
        browser.await(d -> retry.isEnabled());
        retry.click();
        browser.await(d -> d.findElement(By.id("banner-text")).getText().startsWith("Retry now: " + gid));
        browser.await(d -> !shownBefore.equals(d.findElement(nextRetry).getDomAttribute("title")));
        assertThat(dtm.dtm.query(gid).nextCronTime()).isBeforeOrEqualTo(Instant.now());

        dtm.recover();
        byId("refresh").click();
        browser.awaitText(TITLE_BADGE, "succeed");
        assertThat(byId("retry-now").isEnabled()).isFalse();
        browser.screenshot("retried");
    }

    @Test
    void markupInABranchUrlOrARollbackReasonShowsAsText() {
        dtm = AdminUiServer.start();
        // The API refuses such a URL now (BranchUrlPolicy), but a store shared with DTM or older data may hold one.
        String url = "http://127.0.0.1:1/pay?note=<script>alert(1)</script>";
        String reason = "card declined <img src=x onerror=alert(2)>";
        dtm.storeFailedSaga(gid, url, reason);

        browser.open(dtm.page("/"));
        browser.awaitListed(List.of(gid));
        openDetail(gid);
        browser.awaitText(TITLE_BADGE, "failed");
        List<String> urls = driver.findElements(By.cssSelector("#branches td.url")).stream()
                .map(WebElement::getText).toList();
        assertThat(urls).containsExactly(url, url);
        assertThat(field("rollback_reason")).isEqualTo(reason);
        assertThat(driver.findElements(By.tagName("img"))).as("images on the page").isEmpty();
        assertThat(driver.findElements(By.tagName("script"))).as("scripts on the page").hasSize(1);
        assertThat(driver.findElements(By.cssSelector("#branches a"))).as("links to branch URLs").isEmpty();
        browser.assertNoAlert();
        browser.screenshot("markup-as-text");
    }

    @Test
    void theUiWorksUnderAnAdminBasePathWithDeepLinksAndTheServerPanel() {
        dtm = AdminUiServer.start("/ops/dtm");
        dtm.submit(dtm.saga(gid));

        browser.open(dtm.page("/"));
        browser.awaitListed(List.of(gid));
        driver.findElement(By.linkText(gid)).click();
        browser.visible(By.id("branches"));
        assertThat(driver.getCurrentUrl()).isEqualTo(dtm.page("/admin/transactions/" + gid));
        driver.navigate().refresh();
        browser.awaitText(TITLE_BADGE, "succeed");

        driver.findElement(By.cssSelector("nav a[data-nav='server']")).click();
        browser.awaitText(By.cssSelector("dd[data-field='version']"), AdminUiServer.VERSION);
        assertThat(driver.getCurrentUrl()).isEqualTo(dtm.page("/admin/server"));
        assertThat(field("store")).isNotEmpty();
        assertThat(field("store_up")).isEqualTo("up");
        assertThat(field("requests")).matches("\\d+ ok, \\d+ failed");
        assertThat(field("rounds")).isEqualTo("1 ok, 0 failed");
        assertThat(field("memory")).startsWith("heap ");
        browser.screenshot("server-panel");

        driver.navigate().back();
        browser.awaitText(TITLE_BADGE, "succeed");
        assertThat(driver.getCurrentUrl()).isEqualTo(dtm.page("/admin/transactions/" + gid));
    }

    @Test
    void aTokenPromptGuardsTheUiAViewerCannotForceStopAndSignOutForgetsTheToken() {
        String viewer = "viewer-token-0123456789";
        String operator = "operator-token-0123456789";
        dtm = AdminUiServer.withTokens("watch:viewer:" + viewer, "ops:operator:" + operator);
        dtm.busi.setTimes("TransOut", "ONGOING", 5);
        dtm.submit(dtm.saga(gid));

        browser.open(dtm.page("/"));
        assertThat(browser.visible(By.id("signin-message")).getText()).startsWith("GET /api/dtmsvr/all: 401 ");
        browser.screenshot("sign-in");
        byId("token").sendKeys("not-a-token-of-this-server\n");
        browser.awaitText(By.cssSelector("form.signin p"), "The server refused the token.");

        // Every page below calls routes that answer 401 without the token: each shows only if the token went along.
        byId("token").sendKeys(viewer + "\n");
        browser.awaitListed(List.of(gid));
        assertThat(byId("session").isDisplayed()).isTrue();
        assertThat(driver.executeScript("return sessionStorage.length")).isEqualTo(1L);
        driver.findElement(By.cssSelector("nav a[data-nav='server']")).click();
        browser.awaitText(By.cssSelector("dd[data-field='version']"), AdminUiServer.VERSION);
        assertThat(field("requests")).matches("\\d+ ok, \\d+ failed");

        openDetail(gid);
        WebElement stop = byId("force-stop");
        browser.await(d -> stop.isEnabled());
        stop.click();
        browser.visible(By.id("stop-reason")).sendKeys("trying as a viewer");
        byId("stop-confirm").click();
        browser.await(d -> d.findElement(By.id("stop-error")).getText()
                .startsWith("POST /api/dtmsvr/forceStop: 403 token 'watch' (viewer)"));
        byId("stop-cancel").click();
        byId("retry-now").click();
        browser.await(d -> d.findElement(By.id("banner-text")).getText()
                .startsWith("POST /api/dtmsvr/resetNextCronTime: 403 token 'watch' (viewer)"));
        assertThat(dtm.status(gid)).isEqualTo("submitted");

        byId("sign-out").click();
        browser.visible(By.id("token"));
        assertThat(driver.executeScript("return sessionStorage.length")).isEqualTo(0L);
        assertThat(byId("session").isDisplayed()).isFalse();

        byId("token").sendKeys(operator + "\n");
        WebElement stopAsOperator = browser.visible(By.id("force-stop"));
        browser.await(d -> stopAsOperator.isEnabled());
        stopAsOperator.click();
        browser.visible(By.id("stop-reason")).sendKeys("stuck; stopped by the operator");
        byId("stop-confirm").click();
        browser.awaitText(TITLE_BADGE, "failed");
        assertThat(dtm.status(gid)).isEqualTo("failed");
    }
}

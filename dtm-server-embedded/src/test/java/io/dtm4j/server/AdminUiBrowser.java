package io.dtm4j.server;

import io.dtm4j.core.testing.ItEnvironment;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A headless Chromium for the admin UI tests, driven through the system's {@code chromedriver}: Debian's
 * {@code chromium} and {@code chromium-driver} packages, never a browser or driver that Selenium Manager would
 * download. When they are missing the test fails with what to install under {@code -Ddtm.it.required=true}
 * (what {@code scripts/test.sh} sets) and is skipped otherwise. Each browser gets a fresh profile in a temporary
 * folder. Not thread-safe.
 */
final class AdminUiBrowser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    /** Bound on every wait for the page: generous for a loaded CI machine, short enough to fail fast. */
    static final Duration WAIT = Duration.ofSeconds(10);
    private static final Path SCREENSHOTS = Path.of(System.getProperty("basedir", "."), "target", "screenshots");

    final ChromeDriver driver;
    private final Path profile;

    private AdminUiBrowser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** Starts a browser, or skips or fails the test (see the class comment) when Chromium is not installed. */
    static AdminUiBrowser start() {
        requireChromium();
        // Set both ways, so that Selenium Manager (which would try to download a driver) is never asked.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        Path profile;
        try {
            profile = Files.createTempDirectory("dtm-admin-ui-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + profile, "--window-size=1400,1000");
        options.setCapability("goog:loggingPrefs", Map.of(LogType.BROWSER, Level.ALL.getName()));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        try {
            return new AdminUiBrowser(new ChromeDriver(service, options), profile);
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    private static void requireChromium() {
        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
            return;
        }
        String msg = "the admin UI tests need " + CHROMIUM + " and " + CHROMEDRIVER + ": install them with "
                + "'apt-get install chromium chromium-driver' (scripts/test.sh does so when run as root)";
        if (ItEnvironment.required()) {
            throw new IllegalStateException(msg);
        }
        Assumptions.abort(msg);
    }

    void open(String url) {
        driver.get(url);
    }

    /** Waits (at most {@link #WAIT}) until {@code condition} gives a value other than null or false. */
    <T> T await(Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT).until(condition);
    }

    /** Waits until an element is visible and returns it. */
    WebElement visible(By by) {
        return new WebDriverWait(driver, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Waits until the element's text equals {@code text}. */
    void awaitText(By by, String text) {
        new WebDriverWait(driver, WAIT).until(ExpectedConditions.textToBe(by, text));
    }

    /** The gids in the transactions table, top to bottom. */
    List<String> listedGids() {
        // One script, so that a table replaced while it is read cannot give a stale element.
        Object gids = driver.executeScript("return Array.from(document.querySelectorAll("
                + "'#transactions tbody tr[data-gid]'), r => r.dataset.gid);");
        return ((List<?>) gids).stream().map(String::valueOf).toList();
    }

    /** Waits until the transactions table lists exactly {@code gids}, in this order. */
    void awaitListed(List<String> gids) {
        try {
            await(d -> listedGids().equals(gids));
        } catch (org.openqa.selenium.TimeoutException e) {
            assertThat(listedGids()).as("listed gids").containsExactlyElementsOf(gids);
        }
    }

    /** No alert is open: what a script injected through a transaction's data would have raised. */
    void assertNoAlert() {
        assertThatThrownBy(() -> driver.switchTo().alert()).isInstanceOf(NoAlertPresentException.class);
    }

    /**
     * Since the last call, the pages logged no error but failed loads (4xx replies the UI handles itself): no
     * uncaught exception and no refusal by the Content-Security-Policy, which would mean inline script or style.
     */
    void assertNoScriptErrors() {
        assertThat(browserErrors()).as("errors in the browser console").isEmpty();
    }

    private List<String> browserErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(m -> !m.contains("Failed to load resource"))
                .toList();
    }

    /** Deletes the screenshots of an earlier run, so that none is taken for this run's. */
    static void deleteScreenshots() {
        if (Files.isDirectory(SCREENSHOTS)) {
            deleteTree(SCREENSHOTS);
        }
    }

    /** Saves the window as {@code target/screenshots/<name>.png}, the build's artifact. */
    void screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the screenshot " + name, e);
        }
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder left behind is not worth failing a test for
        }
    }
}

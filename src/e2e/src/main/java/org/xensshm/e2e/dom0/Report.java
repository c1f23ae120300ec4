package org.xensshm.e2e.dom0;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * The driver's results, one console line each, for the host to read back from the serial log:
 * {@code E2E-CHECK <scenario> <name> PASS|FAIL <detail>}, {@code E2E-TIME <scenario> <name>
 * <seconds>}, {@code E2E-FACT <name> <value>}, and {@code E2E-SCENARIO <name> begin|end}. A line
 * never holds a line break, so a result cannot be split or forged by what it quotes.
 */
final class Report {

    private final PrintStream out;
    private String scenario = "-";
    private int checks;
    private int failures;

    Report(PrintStream out) {
        this.out = out;
    }

    void begin(String scenario) {
        this.scenario = scenario;
        line("E2E-SCENARIO " + scenario + " begin");
    }

    void end() {
        line("E2E-SCENARIO " + scenario + " end");
        scenario = "-";
    }

    boolean check(String name, boolean pass, String detail) {
        checks++;
        if (!pass) {
            failures++;
        }
        line("E2E-CHECK " + scenario + " " + name + " " + (pass ? "PASS" : "FAIL") + " " + detail);
        return pass;
    }

    boolean equal(String name, Object expected, Object actual) {
        boolean same = Objects.equals(expected, actual);
        return check(name, same, same ? String.valueOf(actual) : "expected " + expected + ", got " + actual);
    }

    void time(String name, Duration elapsed) {
        line("E2E-TIME " + scenario + " " + name + " " + String.format(Locale.ROOT, "%.3f", elapsed.toNanos() / 1e9));
    }

    void fact(String name, String value) {
        line("E2E-FACT " + name + " " + value);
    }

    void note(String text) {
        line("E2E-NOTE " + scenario + " " + text);
    }

    int checks() {
        return checks;
    }

    int failures() {
        return failures;
    }

    private void line(String text) {
        out.println(text.replaceAll("[\\r\\n]+", " | "));
        out.flush();
    }
}

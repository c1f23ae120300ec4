package org.xensshm.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void rendersTheFractionDone() {
        assertEquals("map [..........]   0%  0/40 pages", ProgressBar.render("map", 0, 40, 10));
        assertEquals("map [#####.....]  50%  20/40 pages", ProgressBar.render("map", 20, 40, 10));
        assertEquals("map [#########.]  97%  39/40 pages", ProgressBar.render("map", 39, 40, 10));
        assertEquals("map [##########] 100%  40/40 pages", ProgressBar.render("map", 40, 40, 10));
        assertEquals("map [##########] 100%  0/0 pages", ProgressBar.render("map", 0, 0, 10));
    }

    @Test
    void staysInvisibleForQuickWork() {
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(terminal), "map", 100, Duration.ofMinutes(1),
                Duration.ofMillis(10))) {
            bar.advance(100);
        }
        assertEquals("", terminal.toString(StandardCharsets.UTF_8));
    }

    @Test
    void slowWorkIsRedrawnInPlaceAndCompletedOnClose() throws InterruptedException {
        ByteArrayOutputStream terminal = new ByteArrayOutputStream();
        try (ProgressBar bar = new ProgressBar(new PrintStream(terminal), "map", 100, Duration.ZERO,
                Duration.ofMillis(5))) {
            bar.advance(30);
            Thread.sleep(60);
            bar.advance(70);
        }
        String drawn = terminal.toString(StandardCharsets.UTF_8);
        assertTrue(drawn.startsWith("\r"), drawn);
        assertTrue(drawn.contains("30/100 pages"), "the bar was drawn while the work ran: " + drawn);
        assertTrue(drawn.endsWith("\rmap [" + "#".repeat(30) + "] 100%  100/100 pages\n"), drawn);
        assertEquals(1, drawn.chars().filter(c -> c == '\n').count(), "one line, redrawn in place: " + drawn);
    }
}

package org.xensshm.cli.output;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on the terminal for work counted in pages. It stays invisible for
 * quick work: a background thread draws it only once the work has taken longer than
 * {@code delay}, then redraws it every {@code period} and once more, complete, at {@link #close()}.
 * {@link #advance} may be called from any thread.
 */
public final class ProgressBar implements AutoCloseable {

    public static final Duration DELAY = Duration.ofMillis(400);
    public static final Duration PERIOD = Duration.ofMillis(100);
    private static final int WIDTH = 30;

    private final PrintStream terminal;
    private final String label;
    private final long total;
    private final AtomicLong done = new AtomicLong();
    private final ScheduledExecutorService drawer;
    private boolean shown;

    public ProgressBar(PrintStream terminal, String label, long total, Duration delay, Duration period) {
        this.terminal = terminal;
        this.label = label;
        this.total = total;
        this.drawer = Executors.newSingleThreadScheduledExecutor(work -> {
            Thread thread = new Thread(work, "progress-bar");
            thread.setDaemon(true);
            return thread;
        });
        drawer.scheduleAtFixedRate(this::draw, delay.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Whether a bar can be drawn: a person is at a terminal (there is a console) and stderr,
     * where the bar goes, is that terminal rather than a file or a pipe.
     */
    public static boolean terminalAttached() {
        if (System.console() == null || !System.console().isTerminal()) {
            return false;
        }
        try {
            String stderr = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return stderr.startsWith("/dev/pts/") || stderr.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public void advance(long pages) {
        done.addAndGet(pages);
    }

    /** Stops the drawing; a bar that was shown is completed with the final count and a newline. */
    @Override
    public void close() {
        drawer.shutdownNow();
        try {
            drawer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (shown) {
                terminal.print(line() + "\n");
                terminal.flush();
            }
        }
    }

    private synchronized void draw() {
        shown = true;
        terminal.print(line());
        terminal.flush();
    }

    /** The bar from the start of the line, so that each drawing overwrites the one before. */
    private String line() {
        return "\r" + render(label, Math.min(done.get(), total), total, WIDTH);
    }

    /** {@code label [#########.........]  45%  4567/10000 pages}. */
    public static String render(String label, long done, long total, int width) {
        long percent = total == 0 ? 100 : done * 100 / total;
        int filled = (int) (total == 0 ? width : done * width / total);
        return label + " [" + "#".repeat(filled) + ".".repeat(width - filled) + "] "
                + String.format("%3d%%", percent) + "  " + done + "/" + total + " pages";
    }
}

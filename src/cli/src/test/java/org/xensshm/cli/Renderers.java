package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * The real renderers a user would open the pictures with: librsvg's {@code rsvg-convert} for the
 * SVG (Debian librsvg2-bin) and Graphviz's {@code dot} for the graph (Debian graphviz). Both are
 * installed by src/scripts/setup-debian.sh; a missing one fails the test.
 */
final class Renderers {

    private Renderers() {
    }

    /** Renders the SVG to a PNG at its own size; a warning or an error fails the test. */
    static BufferedImage png(Path svg, Path png) {
        Result result = run("rsvg-convert", "librsvg2-bin", "--format", "png", "--output", png.toString(),
                svg.toString());
        assertEquals(new Result(0, "", ""), result, "rsvg-convert must render " + svg + " cleanly");
        try {
            return ImageIO.read(png.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lays the graph out as Graphviz does and returns its SVG; any warning fails the test. */
    static String dotToSvg(Path dot) {
        Result result = run("dot", "graphviz", "-Tsvg", dot.toString());
        assertEquals(0, result.status(), "dot failed:\n" + result.err());
        assertEquals("", result.err(), "dot must lay the graph out without a warning");
        return result.out();
    }

    record Result(int status, String out, String err) {
    }

    private static Result run(String tool, String debianPackage, String... arguments) {
        List<String> command = new ArrayList<>(List.of(tool));
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(
                    Path.of("/dev/null").toFile())).start();
            // Read stderr on the side: a renderer that fills one pipe while we wait on the other would hang.
            var err = process.getErrorStream();
            StringBuilder errText = new StringBuilder();
            Thread errReader = Thread.ofVirtual().start(() -> {
                try {
                    errText.append(new String(err.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    errText.append(e);
                }
            });
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(tool + " timed out");
            }
            errReader.join();
            return new Result(process.exitValue(), out, errText.toString());
        } catch (IOException e) {
            throw new AssertionError(tool + " is missing (Debian package " + debianPackage + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

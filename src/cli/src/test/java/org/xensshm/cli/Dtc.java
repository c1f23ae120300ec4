package org.xensshm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's device-tree compiler, as a user would run it on the CLI's output: compiled to a blob
 * with the default checks (a warning fails the test), then the blob decompiled and read back
 * into nodes and properties, so that tests look at what dtc understood, not at our text.
 */
final class Dtc {

    private static final Pattern NODE = Pattern.compile("\\s*([^\\s=;]+) \\{");
    private static final Pattern PROPERTY = Pattern.compile("\\s*([^\\s=;]+)(?: = (.*))?;");

    private Dtc() {
    }

    /**
     * Each node by path ("/", "/reserved-memory", ...) with its properties as dtc prints them.
     *
     * @param dtcOptions extra options, e.g. {@code -W no-CHECK} for a warning a test's own input
     *                   gives rather than the CLI's output
     */
    static Map<String, Map<String, String>> compileAndDecompile(String dts, Path dir, String... dtcOptions) {
        Path source = dir.resolve("tree.dts");
        Path blob = dir.resolve("tree.dtb");
        try {
            Files.writeString(source, dts);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of("dtc", "-I", "dts", "-O", "dtb", "-o", blob.toString()));
        command.addAll(List.of(dtcOptions));
        command.add(source.toString());
        Result compiled = run(command.toArray(String[]::new));
        assertEquals(new Result(0, "", ""), compiled, "dtc must compile it without a warning:\n" + dts);
        Result decompiled = run("dtc", "-I", "dtb", "-O", "dts", blob.toString());
        assertEquals(0, decompiled.status(), decompiled.err());
        return nodes(decompiled.out());
    }

    private static Map<String, Map<String, String>> nodes(String dts) {
        Map<String, Map<String, String>> nodes = new LinkedHashMap<>();
        Deque<String> path = new ArrayDeque<>();
        for (String line : dts.lines().toList()) {
            Matcher node = NODE.matcher(line);
            Matcher property = PROPERTY.matcher(line);
            if (node.matches()) {
                String parent = path.isEmpty() ? "" : path.peek();
                String name = node.group(1);
                String full = name.equals("/") ? "/" : (parent.equals("/") ? "" : parent) + "/" + name;
                path.push(full);
                nodes.put(full, new LinkedHashMap<>());
            } else if (line.strip().equals("};")) {
                path.pop();
            } else if (property.matches() && !path.isEmpty()) {
                nodes.get(path.peek()).put(property.group(1), property.group(2) == null ? "" : property.group(2));
            }
        }
        return nodes;
    }

    record Result(int status, String out, String err) {
    }

    private static Result run(String... command) {
        try {
            Process process = new ProcessBuilder(command).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("dtc timed out");
            }
            return new Result(process.exitValue(), out, err);
        } catch (IOException e) {
            throw new AssertionError("dtc is missing (Debian package device-tree-compiler)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}

package org.xensshm.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Runs the CLI as a separate process, the way people and scripts do: either the real launcher
 * script ({@link #launcher}) or {@code java -m org.xensshm.cli/org.xensshm.cli.Main} ({@link #java}),
 * both on the module path built from this build's classes and dependency jars.
 */
final class Cli {

    /** The repository's root, where the launcher sits; the build tells (see the module's POM). */
    static final Path ROOT = Path.of(System.getProperty("xensshm.root", "../..")).toAbsolutePath().normalize();
    static final Path LAUNCHER = ROOT.resolve("xen-sshm");
    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    /** Variables that would point a child at some test bed; each test says which one it wants. */
    private static final List<String> TEST_BED_VARIABLES = List.of("LD_PRELOAD", "XENSIM_STATE", "XENSTORED_PATH",
            "XEN_SSHM_TESTBED_ENV");

    /** What a run printed and how it ended. */
    record Run(int status, String out, String err) {
        /** For assertion messages. */
        String describe() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }

        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private final List<String> prefix;
    private final Map<String, String> environment = new HashMap<>(System.getenv());
    private Path directory = ROOT;

    private Cli(List<String> prefix) {
        this.prefix = prefix;
        TEST_BED_VARIABLES.forEach(environment::remove);
        environment.put("XEN_SSHM_MODULE_PATH", modulePath());
        environment.put("XEN_SSHM_JAVA_HOME", System.getProperty("java.home"));
    }

    /** The launcher script, told to run this build (XEN_SSHM_MODULE_PATH) rather than build target/. */
    static Cli launcher() {
        return new Cli(List.of(LAUNCHER.toString()));
    }

    /** The JVM directly, with nothing preloaded unless {@link #env} says so. */
    static Cli java() {
        return new Cli(List.of(JAVA.toString(), "--enable-native-access=org.xensshm,org.xensshm.testkit", "-p",
                modulePath(), "-m", "org.xensshm.cli/org.xensshm.cli.Main"));
    }

    /** The JVM directly, without the native access the library needs. */
    static Cli javaWithoutNativeAccess() {
        return new Cli(List.of(JAVA.toString(), "-p", modulePath(), "-m", "org.xensshm.cli/org.xensshm.cli.Main"));
    }

    Cli env(Map<String, String> variables) {
        environment.putAll(variables);
        return this;
    }

    Cli env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    Cli in(Path directory) {
        this.directory = directory;
        return this;
    }

    Run run(String... arguments) {
        return start(arguments).finish();
    }

    /** Starts the command without waiting for it; {@link Started#finish()} waits and collects. */
    Started start(String... arguments) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            Path out = Files.createTempFile("xen-sshm-cli-", ".out");
            Path err = Files.createTempFile("xen-sshm-cli-", ".err");
            Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            return new Started(command, process, out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A command that runs. */
    record Started(List<String> command, Process process, Path out, Path err) {

        /** Waits for the end (at most two minutes, a guard against a hung test) and collects the output. */
        Run finish() {
            try {
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError("timed out: " + command);
                }
                return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            } finally {
                try {
                    Files.deleteIfExists(out);
                    Files.deleteIfExists(err);
                } catch (IOException e) {
                    // Temporary files; the system cleans them up.
                }
            }
        }
    }

    /**
     * Starts the command without waiting for it, for a long-running one such as {@code watch}: its
     * output goes to files that {@link Running} reads as it grows.
     */
    Running launch(String... arguments) {
        Started started = start(arguments);
        return new Running(started.process(), started.out(), started.err());
    }

    /** A command still running; {@link #close()} kills it if need be and removes its output files. */
    record Running(Process process, Path out, Path err) implements AutoCloseable {

        /** stdout so far, line by line. */
        List<String> outLines() {
            return read(out).lines().toList();
        }

        /**
         * Waits until a line of stdout matches (up to 60 s, which only catches a hang) and returns
         * it; fails with what the command printed when it does not come or the command ends.
         */
        String awaitLine(Predicate<String> matching) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                Optional<String> line = outLines().stream().filter(matching).findFirst();
                if (line.isPresent()) {
                    return line.get();
                }
                if (!process.isAlive()) {
                    break;
                }
                pause();
            }
            throw new AssertionError("no such line (" + (process.isAlive() ? "still running" : "exit "
                    + process.exitValue()) + ")\n--- stdout\n" + read(out) + "--- stderr\n" + read(err));
        }

        /** SIGTERM, then the run as it ended (within 60 s). */
        Run terminate() {
            process.destroy();
            return awaitEnd();
        }

        /** SIGKILL, at once. */
        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Waits (up to 60 s) for the command to end by itself. */
        Run awaitEnd() {
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("still running after 60 s\n--- stdout\n" + read(out));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            return new Run(process.exitValue(), read(out), read(err));
        }

        @Override
        public void close() throws IOException {
            if (process.isAlive()) {
                kill();
            }
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }

        private static String read(Path file) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static void pause() {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /**
     * This build's module: its classes directory, which holds module-info.class, and the jars of
     * the modules it needs at run time, found where this test JVM loaded them from.
     */
    static String modulePath() {
        return Stream.of(Main.class, org.xensshm.engine.StaticShmEngine.class,
                        org.xensshm.testkit.testbed.TestBed.class, picocli.CommandLine.class,
                        org.slf4j.LoggerFactory.class, org.slf4j.simple.SimpleLogger.class)
                .map(Cli::location)
                .map(Path::toString)
                .distinct()
                .reduce((a, b) -> a + ":" + b)
                .orElseThrow();
    }

    private static Path location(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}

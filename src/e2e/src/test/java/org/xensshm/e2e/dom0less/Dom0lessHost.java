package org.xensshm.e2e.dom0less;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * What the tier needs from the machine, found once: the tools, the hypervisor (built from Debian's
 * source by {@code build-xen.sh}, else the shared reference binary), the CLI, and the scripts in
 * {@code src/e2e/dom0less}. Under {@code CI=true} anything missing fails the tier; elsewhere only a
 * missing QEMU skips it.
 */
final class Dom0lessHost {

    /** The reference hypervisor's file in the shared hypervisors directory (upstream 4.20.0). */
    static final String REFERENCE = "xen-4.20-static-shm-dom0less-arm64";
    private static final boolean CI = "true".equals(System.getenv("CI"));
    private static final List<String> TOOLS = List.of("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ld",
            "aarch64-linux-gnu-objcopy", "dtc", "fdtget", "fdtput");

    /** The repository's root: the module is src/e2e, where Surefire runs. */
    final Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().resolve("../..")
            .normalize();
    final Path scripts = root.resolve("src/e2e/dom0less");
    final Path work = root.resolve("src/e2e/target/dom0less");
    final Path xen;
    /** How {@link #xen} was obtained, for the log and messages. */
    final String xenOrigin;
    final Optional<Path> reference;
    private final List<String> cli;

    /** What a command printed and how it ended. */
    record Run(int status, String out, String err) {
        String describe() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    Dom0lessHost() {
        if (onPath("qemu-system-aarch64").isEmpty()) {
            missing("qemu-system-aarch64 is not installed (Debian package qemu-system-arm; src/scripts/setup-debian.sh"
                    + " installs it)", true);
        }
        List<String> absent = TOOLS.stream().filter(tool -> onPath(tool).isEmpty()).toList();
        if (!absent.isEmpty()) {
            missing("missing " + String.join(", ", absent) + " (src/scripts/setup-debian.sh installs them)", false);
        }
        cli = cliCommand();
        reference = referenceHypervisor();
        Path built = null;
        Run build = run(List.of(scripts.resolve("build-xen.sh").toString(), "--work", work.resolve("xen-build")
                .toString()), 1800);
        if (build.status() == 0) {
            built = Path.of(build.out().lines().findFirst().orElseThrow());
        }
        if (built != null) {
            xen = built;
            xenOrigin = "built from Debian's xen source " + build.out().lines().skip(1).findFirst().orElse("?");
        } else if (reference.isPresent()) {
            xen = reference.get();
            xenOrigin = "reference binary " + xen + " (Debian's xen 4.20 source could not be fetched: "
                    + scriptMessage(build.err()) + ")";
            System.out.println("dom0less tier: booting the reference hypervisor " + xen + ", since Debian's xen 4.20"
                    + " source could not be fetched (" + scriptMessage(build.err()) + ")");
        } else {
            throw new IllegalStateException("no hypervisor for the dom0less tier: build-xen.sh failed ("
                    + scriptMessage(build.err()) + ") and there is no " + REFERENCE + " in the hypervisors directory"
                    + " (XEN_SSHM_HYPERVISORS, the system property xensshm.e2e.hypervisors, or ../shared/hypervisors)");
        }
    }

    /** Runs {@code xen-sshm} with this build's jars. */
    Run sshm(Path directory, List<String> arguments) {
        List<String> command = new ArrayList<>(cli);
        command.addAll(arguments);
        return run(command, directory, 120);
    }

    /** Runs one of the tier's scripts. */
    Run script(String name, List<String> arguments, long timeoutSeconds) {
        List<String> command = new ArrayList<>(List.of(scripts.resolve(name).toString()));
        command.addAll(arguments);
        return run(command, timeoutSeconds);
    }

    /** An empty directory for one variant under target/, where its files stay for a look afterwards. */
    Path variantDirectory(String variant) {
        Path dir = work.resolve(variant);
        try {
            if (Files.exists(dir)) {
                try (Stream<Path> old = Files.walk(dir)) {
                    old.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Run run(List<String> command, long timeoutSeconds) {
        return run(command, root, timeoutSeconds);
    }

    private static Run run(List<String> command, Path directory, long timeoutSeconds) {
        try {
            Path out = Files.createTempFile("dom0less-", ".out");
            Path err = Files.createTempFile("dom0less-", ".err");
            try {
                Process process = new ProcessBuilder(command).directory(directory.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    fail("timed out after " + timeoutSeconds + " s: " + command);
                }
                return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * The CLI as a user runs it, on the module path made of the jars (or class directories) this
     * test JVM loaded its modules from.
     */
    private static List<String> cliCommand() {
        List<String> locations = new ArrayList<>();
        for (String type : List.of("org.xensshm.cli.Main", "org.xensshm.devicetree.Dom0lessExport",
                "org.xensshm.testkit.testbed.TestBed", "picocli.CommandLine", "org.slf4j.LoggerFactory",
                "org.slf4j.simple.SimpleLogger")) {
            try {
                String location = Path.of(Class.forName(type).getProtectionDomain().getCodeSource().getLocation()
                        .toURI()).toString();
                if (!locations.contains(location)) {
                    locations.add(location);
                }
            } catch (ClassNotFoundException | URISyntaxException e) {
                throw new IllegalStateException("the CLI's module " + type + " is not on the test class path", e);
            }
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-p",
                String.join(":", locations), "-m", "org.xensshm.cli/org.xensshm.cli.Main");
    }

    /** The shared reference: the build's property, else XEN_SSHM_HYPERVISORS, else ../shared/hypervisors. */
    private Optional<Path> referenceHypervisor() {
        String property = System.getProperty("xensshm.e2e.hypervisors", "");
        String env = System.getenv().getOrDefault("XEN_SSHM_HYPERVISORS", "");
        // An unset variable reaches the property as Maven's unresolved "${env...}".
        String dir = !property.isBlank() && !property.startsWith("${") ? property
                : !env.isBlank() ? env : root.resolve("../shared/hypervisors").toString();
        Path binary = Path.of(dir, REFERENCE);
        return Files.isRegularFile(binary) ? Optional.of(binary.toAbsolutePath().normalize()) : Optional.empty();
    }

    private static Optional<Path> onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .map(dir -> Path.of(dir, tool)).filter(Files::isExecutable).findFirst();
    }

    /** Under CI a missing piece fails the tier; elsewhere only a missing QEMU skips it. */
    private static void missing(String reason, boolean mayBeSkipped) {
        if (CI || !mayBeSkipped) {
            throw new IllegalStateException("dom0less tier: " + reason + (CI ? " (CI=true: the tier must run)" : ""));
        }
        Assumptions.abort("dom0less tier skipped: " + reason);
    }

    /** What a script said itself (its lines start with its name), on one line. */
    private static String scriptMessage(String stderr) {
        String said = stderr.lines().filter(line -> line.startsWith("build-xen.sh: "))
                .map(line -> line.substring("build-xen.sh: ".length()).strip())
                .filter(line -> !line.matches(".*: [0-9.]+ s$"))   // its timings
                .reduce((a, b) -> a + " " + b).orElse("");
        return said.isEmpty() ? "no message" : said;
    }
}

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * What the tier needs from the machine, found once: the tools, the hypervisors, the CLI, and the
 * scripts in {@code src/e2e/dom0less}. The hypervisor is built from Debian's {@code xen} source by
 * {@code build-xen.sh} (trixie's 4.20 where the mirror serves it, else bookworm's 4.17); the
 * shared reference binary (upstream 4.20.0) boots what the built one cannot, the form where Xen
 * allocates the region (4.19 and later), and is what the built one must behave like. Under
 * {@code CI=true} anything missing fails the tier; elsewhere a missing QEMU or hypervisor skips
 * what needs it, with one line saying why.
 */
final class Dom0lessHost {

    /** The reference hypervisor's file in the shared hypervisors directory (upstream 4.20.0). */
    static final String REFERENCE = "xen-4.20-static-shm-dom0less-arm64";
    private static final boolean CI = "true".equals(System.getenv("CI"));
    private static final List<String> TOOLS = List.of("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ld",
            "aarch64-linux-gnu-objcopy", "dtc", "fdtget", "fdtput");
    private static final Pattern RELEASE = Pattern.compile("^(\\d+)\\.(\\d+)");
    /** build-xen.sh's third line: "xen VERSION from SUITE, since ..." or "..., the newest listed". */
    private static final Pattern SUITE = Pattern.compile("^xen \\S+ from ([a-z-]+),");

    /** The repository's root: the module is src/e2e, where Surefire runs. */
    final Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().resolve("../..")
            .normalize();
    final Path scripts = root.resolve("src/e2e/dom0less");
    final Path work = root.resolve("src/e2e/target/dom0less");
    /** Built from Debian's source; empty when the build failed (outside CI only). */
    final Optional<Xen> built;
    final Optional<Xen> reference;
    private final String buildFailure;
    private final List<String> cli;

    /**
     * A hypervisor the tier boots.
     *
     * @param file    the binary
     * @param origin  where it comes from, for the test output
     * @param release its Xen release, "4.17" or "4.20", which decides the forms it reads
     */
    record Xen(Path file, String origin, String release) {

        /** Whether Xen allocates a region given no host address (4.19 and later). */
        boolean allocates() {
            Matcher m = RELEASE.matcher(release);
            if (!m.find()) {
                throw new IllegalStateException("not a Xen release: " + release);
            }
            int major = Integer.parseInt(m.group(1));
            return major > 4 || major == 4 && Integer.parseInt(m.group(2)) >= 19;
        }
    }

    /** What a command printed and how it ended. */
    record Run(int status, String out, String err) {
        String describe() {
            return "exit " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    Dom0lessHost() {
        if (onPath("qemu-system-aarch64").isEmpty()) {
            throw missing("qemu-system-aarch64 is not installed (Debian package qemu-system-arm;"
                    + " src/scripts/setup-debian.sh installs it)", true);
        }
        List<String> absent = TOOLS.stream().filter(tool -> onPath(tool).isEmpty()).toList();
        if (!absent.isEmpty()) {
            throw missing("missing " + String.join(", ", absent) + " (src/scripts/setup-debian.sh installs them)",
                    false);
        }
        cli = cliCommand();
        reference = referenceHypervisor().map(file -> new Xen(file, "the reference binary " + file, "4.20"));
        Run build = run(List.of(scripts.resolve("build-xen.sh").toString(), "--work", work.resolve("xen-build")
                .toString()), 1800);
        List<String> said = build.out().lines().toList();
        if (build.status() == 0 && said.size() >= 3) {
            Matcher release = RELEASE.matcher(said.get(1));
            if (!release.find()) {
                throw new IllegalStateException("build-xen.sh built an unknown release: " + build.describe());
            }
            Matcher suite = SUITE.matcher(said.get(2));
            String from = suite.find() ? "Debian " + suite.group(1) + "'s xen source " : "the local xen source ";
            built = Optional.of(new Xen(Path.of(said.get(0)), "built from " + from + said.get(1), release.group()));
            buildFailure = "";
            String took = build.err().lines().filter(line -> line.startsWith("build-xen.sh: built ")
                    || line.startsWith("build-xen.sh: cached: ")).map(line -> line.substring("build-xen.sh: ".length()))
                    .findFirst().orElse("");
            System.out.println("dom0less tier: hypervisor from Debian's " + said.get(2) + "; " + took);
        } else {
            built = Optional.empty();
            buildFailure = scriptMessage(build.err());
            if (CI) {
                throw new IllegalStateException("dom0less tier: build-xen.sh could not build the hypervisor ("
                        + buildFailure + ") (CI=true: the tier must run)");
            }
            System.out.println("dom0less tier: build-xen.sh could not build the hypervisor (" + buildFailure + ")"
                    + reference.map(xen -> "; booting " + xen.origin() + " instead").orElse(""));
        }
    }

    /** The hypervisor for the host-address form, which every release reads: the built one if any. */
    Xen hostAddressXen() {
        return built.or(() -> reference).orElseThrow(() -> missing("no hypervisor: build-xen.sh failed ("
                + buildFailure + ") and there is no " + REFERENCE + hypervisorsDirectories(), true));
    }

    /** The hypervisor for the form where Xen allocates the region: the built one from 4.19 on, else the reference. */
    Xen allocatingXen() {
        return built.filter(Xen::allocates).or(() -> reference).orElseThrow(() -> missing("Xen allocates regions"
                + " from 4.19 on, the built hypervisor is " + built.map(Xen::release).orElse("missing")
                + ", and there is no " + REFERENCE + hypervisorsDirectories(), true));
    }

    private static String hypervisorsDirectories() {
        return " in the hypervisors directory (XEN_SSHM_HYPERVISORS, the system property xensshm.e2e.hypervisors,"
                + " or ../shared/hypervisors)";
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

    /**
     * Under CI a missing piece fails the tier; elsewhere a missing QEMU or hypervisor skips what needs
     * it. Returns the failure to throw; a skip is thrown right here.
     */
    private static IllegalStateException missing(String reason, boolean mayBeSkipped) {
        if (CI || !mayBeSkipped) {
            return new IllegalStateException("dom0less tier: " + reason + (CI ? " (CI=true: the tier must run)" : ""));
        }
        return Assumptions.abort("dom0less tier skipped: " + reason);
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

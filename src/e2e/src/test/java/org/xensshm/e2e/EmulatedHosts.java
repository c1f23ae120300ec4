package org.xensshm.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.opentest4j.TestAbortedException;

/**
 * The emulated Xen hosts: the dom0 root prepared once per test run (src/e2e/host/build-root.sh:
 * downloads cached under ~/.cache/xen-sshm, the project's jars and the driver added), then one
 * boot per hypervisor, all side by side (boot.sh: QEMU with a hard time limit, always stopped).
 * Console logs stay in {@code target/e2e}.
 *
 * <p>What a host needs and does not have fails the test under {@code CI=true} and skips it
 * elsewhere, with a one-line reason.
 */
final class EmulatedHosts {

    /** The series' hypervisors (../shared/hypervisors); .ci/run passes their directory. */
    static final String HYPERVISORS_PROPERTY = "xensshm.e2e.hypervisors";
    private static final long BOOT_LIMIT_SECONDS = 900;
    private static final long PREPARE_LIMIT_MINUTES = 30;

    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path TARGET = MODULE.resolve("target/e2e");
    private static final Path WORK = TARGET.resolve("work");

    private EmulatedHosts() {
    }

    /** The hypervisors the tier boots, by the name the dom0 driver knows them by. */
    enum Host {
        /** Debian's Xen 4.17 for arm64, unpacked by build-root.sh from the cached package. */
        STOCK("stock", null),
        /** The series as its vendor ships it, from the directory .ci/run names. */
        SERIES("series", "xen-4.17-static-shm-arm64"),
        /** The same source with the page reference kept. */
        SERIES_FIXED("series-fixed", "xen-4.17-static-shm-fixed-arm64");

        final String kind;
        private final String sharedFile;

        Host(String kind, String sharedFile) {
            this.kind = kind;
            this.sharedFile = sharedFile;
        }

        /** The image, or why there is none. */
        private Image image() {
            if (sharedFile == null) {
                return new Image(WORK.resolve("xen-4.17-arm64"), null);
            }
            String directory = System.getProperty(HYPERVISORS_PROPERTY, "");
            if (directory.isBlank() || directory.startsWith("${")) {
                return new Image(null, "no hypervisor directory: set XEN_SSHM_HYPERVISORS to ../shared/hypervisors for "
                        + sharedFile);
            }
            Path image = Path.of(directory).resolve(sharedFile);
            return Files.isRegularFile(image) ? new Image(image, null)
                    : new Image(null, "no " + sharedFile + " in " + directory + " (XEN_SSHM_HYPERVISORS)");
        }
    }

    private record Image(Path path, String missing) {
    }

    private static final Map<Host, Future<Console>> BOOTS = new EnumMap<>(Host.class);

    /** The longest boot first, so that it starts before the shorter ones compete for the cores. */
    private static final List<Host> BOOT_ORDER = List.of(Host.SERIES_FIXED, Host.STOCK, Host.SERIES);

    /**
     * What the driver reported on {@code host}. The first call boots every host there is an
     * image for, side by side, each with one emulated CPU, the longest first ({@link #BOOT_ORDER}),
     * and later calls wait for theirs. One CPU each, because hosts with two emulated CPUs slowed
     * each other down far beyond their share of the machine: on two cores the tier took 4 min 1 s
     * with two CPUs per host and 2 min 34 s with one. When timings are taken for the record
     * ({@link #timings()}), the hosts boot one at a time with two CPUs each, as the probes that
     * set the targets ran them, so that no host times its work while another loads the machine.
     */
    static Console console(Host host) {
        Future<Console> boot;
        synchronized (BOOTS) {
            if (BOOTS.isEmpty()) {
                prepare();
                ExecutorService boots = Executors.newFixedThreadPool(timings() ? 1 : BOOT_ORDER.size(),
                        Thread.ofPlatform().name("e2e-boot-", 0).daemon().factory());
                for (Host each : BOOT_ORDER) {
                    Image image = each.image();
                    BOOTS.put(each, image.missing() != null ? CompletableFuture.failedFuture(
                            new MissingHypervisor(image.missing())) : boots.submit(() -> boot(each.kind, image.path())));
                }
                boots.shutdown();
            }
            boot = BOOTS.get(host);
        }
        try {
            return boot.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof MissingHypervisor missing) {
                unavailable(missing.getMessage());
            }
            throw new IllegalStateException("booting " + host.kind + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + host.kind, e);
        }
    }

    /** A hypervisor image this machine does not have. */
    private static final class MissingHypervisor extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingHypervisor(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Whether the driver also takes the timings for the benchmark record ({@code XEN_SSHM_E2E_TIMINGS=1}):
     * the command's start-up in dom0 (two minutes of emulated JVM starts) and more teardown rounds,
     * with the hosts booted one at a time; not in every run.
     */
    static boolean timings() {
        return "1".equals(System.getenv("XEN_SSHM_E2E_TIMINGS"));
    }

    /** Boots {@code hypervisor} with the driver asked to run the scenarios of {@code kind}. */
    private static Console boot(String kind, Path hypervisor) {
        Path log = TARGET.resolve(kind + ".log");
        int status = run(TARGET.resolve(kind + "-boot.out"), BOOT_LIMIT_SECONDS + 60,
                script("host/boot.sh"), "--work", WORK.toString(), "--xen", hypervisor.toString(), "--log",
                log.toString(), "--timeout", Long.toString(BOOT_LIMIT_SECONDS), "--cpus", timings() ? "2" : "1", "--append-dom0",
                "E2E_KIND=" + kind + (timings() ? " E2E_TIMINGS=1" : ""));
        return Console.read(log, status);
    }

    private static void prepare() {
        if (!onPath("qemu-system-aarch64")) {
            unavailable("qemu-system-aarch64 is not installed (Debian package qemu-system-arm)");
        }
        try {
            Path files = TARGET.resolve("files");
            deleteTree(files);
            Files.createDirectories(files);
            Files.copy(MODULE.resolve("host/run-driver.sh"), files.resolve("run.sh"), StandardCopyOption.REPLACE_EXISTING);
            copyTree(MODULE.resolve("target/classes"), files.resolve("classes"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lay out the files for dom0", e);
        }
        int status = run(TARGET.resolve("prepare.out"), PREPARE_LIMIT_MINUTES * 60, script("host/build-root.sh"),
                "--work", WORK.toString(), "--jars", TARGET.resolve("dom0-jars").toString(), "--files",
                TARGET.resolve("files").toString());
        if (status != 0) {
            throw new IllegalStateException("preparing the dom0 root failed (exit " + status + "): see "
                    + TARGET.resolve("prepare.out"));
        }
    }

    private static String script(String name) {
        return MODULE.resolve(name).toString();
    }

    /** Runs a script with its output in {@code output}; its exit status. */
    private static int run(Path output, long limitSeconds, String... command) {
        try {
            Files.createDirectories(output.getParent());
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!process.waitFor(limitSeconds, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end in " + limitSeconds + " s");
            }
            return process.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command[0], e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Skips outside CI; under CI=true the tier must run, so a missing piece fails it. */
    static void unavailable(String reason) {
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException("end-to-end tier cannot run: " + reason + " (CI=true: it must)");
        }
        throw new TestAbortedException("end-to-end tier skipped: " + reason);
    }

    private static boolean onPath(String program) {
        return Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(":"))
                .anyMatch(directory -> Files.isExecutable(Path.of(directory, program)));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(from)) {
            paths = new ArrayList<>(walk.toList());
        }
        for (Path path : paths) {
            Path copy = to.resolve(from.relativize(path).toString());
            if (Files.isDirectory(path)) {
                Files.createDirectories(copy);
            } else {
                Files.copy(path, copy, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}

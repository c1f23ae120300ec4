package org.xensshm.e2e.dom0;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.xensshm.engine.HypervisorSelfTest;

/**
 * What must be shown through the command itself: {@code xen-sshm selftest} on a hypervisor that
 * has never been tested in this boot. Each run is a second JVM, started the way the launcher
 * starts it (module path, native access for the library's modules).
 */
final class CliScenarios {

    /** The JVM options the launcher adds (see the xen-sshm script). */
    private static final List<String> LAUNCHER_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Xlog:disable", "-Xlog:all=warning:stderr");

    private CliScenarios() {
    }

    static Scenario selfTest(HostKind kind) {
        return Scenario.of("cli-selftest", lab -> {
            long start = System.nanoTime();
            Programs.Result result = cli("selftest", "--json");
            lab.report.time("selftest", Duration.ofNanos(System.nanoTime() - start));
            String json = result.out().replaceAll("\\s", "");
            lab.report.equal("exit-status", 0, result.exitStatus());
            lab.report.note("selftest --json: " + json);
            expect(lab, json, "fresh", "\"cached\":false");
            expect(lab, json, "share", shareFinding(kind));
            expect(lab, json, "foreign", "{\"space\":\"gmfn_foreign\",\"maps\":true,\"holdsReference\":true}");
            expect(lab, json, "batched-removals", "\"batchedRemovals\":true");
            expect(lab, json, "share-frees-owner-pages", "\"shareFreesOwnerPages\":" + (kind == HostKind.SERIES));

            List<String> domains = domainLines();
            lab.report.check("no-domain-left", domains.size() == 1 && domains.getFirst().startsWith("Domain-0"),
                    "xl list: " + domains);
            lab.report.check("no-record-left", !XenstoreTree.exists("/libxl/static_shm"),
                    "under /libxl/static_shm: " + XenstoreTree.below("/libxl/static_shm"));
            var cache = XenstoreTree.below("/tool/xen-sshm/selftest");
            lab.report.check("one-cache-node", cache.size() == 1, "under /tool/xen-sshm/selftest: " + cache);

            lab.report.check("cached-for-the-engine", new HypervisorSelfTest(lab.hypervisor(), lab.host.store()).cached()
                    .isPresent(), "the engine's next attach finds this boot's answer");
        });
    }

    /**
     * How long {@code xen-sshm status} takes in this dom0: as a plain JVM start, and with what
     * the launcher adds (the client compiler, the serial collector, and a JDK AOT cache made here by
     * one training run, since a cache belongs to one JDK and architecture). One run of each: a JVM
     * start costs tens of seconds under emulation. Reported, never asserted.
     */
    static Scenario startUp() {
        return Scenario.of("cli-start", lab -> {
            Path cache = Path.of("/tmp/xen-sshm.aot");
            double plain = status(lab, "status-plain", List.of());
            List<String> training = new ArrayList<>(LAUNCHER_OPTIONS);
            training.add("-XX:AOTCacheOutput=" + cache);
            status(lab, "status-training-run", training);
            // The JDK's cache writer can fail and still exit 0, leaving an empty file.
            long size = cache.toFile().length();
            lab.report.check("aot-cache-made", size > 0, cache + ": " + size + " bytes");
            List<String> cached = new ArrayList<>(LAUNCHER_OPTIONS);
            cached.add("-XX:AOTCache=" + cache);
            double withCache = status(lab, "status-aot", cached);
            lab.report.note(String.format(Locale.ROOT, "xen-sshm status in the emulated dom0: plain java %.2f s,"
                    + " with the launcher's options and an AOT cache %.2f s", plain, withCache));
        });
    }

    /** One run of {@code status} with these JVM options, checked and timed; its seconds. */
    private static double status(Lab lab, String name, List<String> options) {
        long start = System.nanoTime();
        Programs.Result result = cli(options, "status");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        lab.report.check(name, result.succeeded(), result.err().strip());
        lab.report.time(name, took);
        return took.toNanos() / 1e9;
    }

    private static void expect(Lab lab, String json, String name, String part) {
        lab.report.check(name, json.contains(part), (json.contains(part) ? "has " : "lacks ") + part);
    }

    private static String shareFinding(HostKind kind) {
        return switch (kind) {
            case STOCK -> "{\"space\":\"gmfn_share\",\"maps\":false,\"errno\":\"ENOSYS\"}";
            case SERIES -> "{\"space\":\"gmfn_share\",\"maps\":true,\"holdsReference\":false}";
            case SERIES_FIXED -> "{\"space\":\"gmfn_share\",\"maps\":true,\"holdsReference\":true}";
        };
    }

    /**
     * {@code xen-sshm ARGS...} as the launcher runs it, on the jars dom0 was given, with its JVM
     * options but without its AOT cache (made per build, in this dom0 only by {@link #startUp}).
     */
    static Programs.Result cli(String... arguments) {
        return cli(LAUNCHER_OPTIONS, arguments);
    }

    /** The same with more JVM options. */
    static Programs.Result cli(List<String> jvmOptions, String... arguments) {
        List<String> command = new ArrayList<>(List.of("java", "--enable-native-access=org.xensshm,org.xensshm.testkit"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-p", "/sshm/lib", "-m", "org.xensshm.cli/org.xensshm.cli.Main"));
        command.addAll(List.of(arguments));
        return Programs.run(command);
    }

    /** The domain lines of {@code xl list} (its header dropped). */
    static List<String> domainLines() {
        String[] lines = Programs.run("xl", "list").orThrow().out().strip().split("\n");
        return List.of(lines).subList(1, lines.length);
    }
}

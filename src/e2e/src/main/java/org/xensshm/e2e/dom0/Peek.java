package org.xensshm.e2e.dom0;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * dom0's hands and eyes in a domU: {@code e2e-peek} (src/e2e/guest/peek.c) reads and writes a
 * domain's pages through foreign maps and talks to the test guest through its control and report
 * blocks. Each call answers one line of key=value pairs.
 */
final class Peek {

    private static final Duration GUEST_PATIENCE = Duration.ofSeconds(60);

    private Peek() {
    }

    static Map<String, String> run(Object... arguments) {
        List<String> command = Stream.concat(Stream.of("e2e-peek"), Stream.of(arguments).map(Peek::text)).toList();
        Programs.Result result = Programs.run(command);
        if (result.exitStatus() != 0 && result.exitStatus() != 1) {
            result.orThrow();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String word : result.out().strip().split(" ")) {
            int equals = word.indexOf('=');
            if (equals > 0) {
                fields.put(word.substring(0, equals), word.substring(equals + 1));
            }
        }
        return fields;
    }

    /** Writes {@code hex} at the start of page {@code gfn}. */
    static void write(int domid, long gfn, String hex) {
        run("write", domid, gfn, hex);
    }

    /** The first {@code length} bytes of page {@code gfn}, as hex. */
    static String read(int domid, long gfn, int length) {
        return run("read", domid, gfn, length).get("hex");
    }

    /**
     * Points the test guest at {@code window} (it reads the window's first 64 bytes every 200 ms
     * once running) and returns the generation it will report under.
     */
    static long watch(int domid, long window) {
        return Long.parseLong(run("guest-setup", domid, window, 0, 0).get("gen"));
    }

    /**
     * The guest's report once it has read the window of generation {@code gen}, or faulted on it;
     * the last report seen when it does neither in time.
     */
    static Map<String, String> seen(int domid, long gen) {
        long deadline = System.nanoTime() + GUEST_PATIENCE.toNanos();
        Map<String, String> report;
        do {
            report = run("guest-report", domid);
            boolean current = String.valueOf(gen).equals(report.get("gen"));
            if (current && (!"0".equals(report.get("reads")) || !"none".equals(report.get("fault")))) {
                return report;
            }
            Lab.pause(Duration.ofMillis(250));
        } while (System.nanoTime() < deadline);
        return report;
    }

    private static String text(Object argument) {
        return argument instanceof Long number ? "0x" + Long.toHexString(number) : String.valueOf(argument);
    }
}

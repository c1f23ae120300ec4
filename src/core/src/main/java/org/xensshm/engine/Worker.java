package org.xensshm.engine;

import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Identifies one engine operation in xenstore, so that {@link StaticShmEngine#reconcile()} can tell
 * work in progress from work a dead toolstack left behind. The token, {@code pid@start#serial},
 * names the process (pid and start time, so a reused pid does not count) and the operation. An
 * operation is alive while it runs in this JVM, or while the other process that wrote it lives.
 */
final class Worker implements AutoCloseable {

    private static final Pattern TOKEN = Pattern.compile("(\\d+)@(\\d+)#(\\d+)");
    private static final long PID = ProcessHandle.current().pid();
    private static final long STARTED = startOf(ProcessHandle.current());
    private static final AtomicLong SERIALS = new AtomicLong();
    private static final Set<Long> RUNNING = ConcurrentHashMap.newKeySet();

    private final long serial;
    private final String token;

    private Worker(long serial) {
        this.serial = serial;
        this.token = PID + "@" + STARTED + "#" + serial;
    }

    static Worker start() {
        Worker worker = new Worker(SERIALS.incrementAndGet());
        RUNNING.add(worker.serial);
        return worker;
    }

    String token() {
        return token;
    }

    /** Whether a recorded worker node names this operation. */
    boolean wrote(Optional<String> recorded) {
        return recorded.filter(token::equals).isPresent();
    }

    /** Whether the operation a recorded token names may still be running. */
    static boolean isAlive(String recorded) {
        Matcher m = recorded == null ? null : TOKEN.matcher(recorded);
        if (m == null || !m.matches()) {
            return false;
        }
        long pid = Long.parseLong(m.group(1));
        long started = Long.parseLong(m.group(2));
        if (pid == PID && started == STARTED) {
            return RUNNING.contains(Long.parseLong(m.group(3)));
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .map(process -> {
                    long actual = startOf(process);
                    // Unknown start times cannot rule the process out.
                    return actual == 0 || started == 0 || actual == started;
                })
                .orElse(false);
    }

    private static long startOf(ProcessHandle process) {
        return process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }

    @Override
    public void close() {
        RUNNING.remove(serial);
    }
}

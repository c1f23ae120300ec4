package org.xensshm.xen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.host.Errno;
import org.xensshm.host.StoreUnreachableException;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission.Access;
import org.xensshm.host.XsPermission;
import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.testkit.testbed.XenstoredProcess;

/** XenStore through the real libxenstore, against the real C xenstored of the test bed. */
@NativeTestBed
class XenStoreNativeTest {

    private static final int NONE = XenStore.NO_TRANSACTION;

    /** Only a guard against a hung test: the requests here fail in well under a second. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);

    private static Path bedSocket;

    private XenStore store;

    @BeforeEach
    void open(TestBed bed) {
        bedSocket = bed.xenstored().socket();
        store = XenStore.open();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void readsWritesListsAndRemovesNodes() {
        store.write(NONE, "/libxl/t/a", "1");
        store.mkdir(NONE, "/libxl/t/b");
        assertEquals(Optional.of("1"), store.read(NONE, "/libxl/t/a"));
        assertEquals(Optional.of(""), store.read(NONE, "/libxl/t/b"));
        assertEquals(Set.of("a", "b"), Set.copyOf(store.list(NONE, "/libxl/t")));

        store.remove(NONE, "/libxl/t");
        assertEquals(Optional.empty(), store.read(NONE, "/libxl/t/a"));
        assertEquals(List.of(), store.list(NONE, "/libxl/t"));
        store.remove(NONE, "/libxl/t");
        assertEquals("/local/domain/7", store.domainPath(7));
    }

    @Test
    void committedTransactionsPublishAndAbortedOnesDoNot() {
        try (XsTransaction txn = store.begin()) {
            txn.write("/libxl/t/committed", "yes");
            assertTrue(txn.commit());
        }
        try (XsTransaction txn = store.begin()) {
            txn.write("/libxl/t/aborted", "yes");
            assertEquals(Optional.of("yes"), txn.read("/libxl/t/aborted"), "a transaction sees its own writes");
        }
        assertEquals(Optional.of("yes"), store.read(NONE, "/libxl/t/committed"));
        assertEquals(Optional.empty(), store.read(NONE, "/libxl/t/aborted"));
    }

    @Test
    void retryHelperResolvesAProvokedConflict() {
        store.write(NONE, "/libxl/t/count", "0");
        AtomicInteger attempts = new AtomicInteger();
        try (XenStore rival = XenStore.open()) {
            int result = store.inTransaction(5, txn -> {
                int count = Integer.parseInt(txn.read("/libxl/t/count").orElseThrow());
                if (attempts.incrementAndGet() == 1) {
                    rival.write(NONE, "/libxl/t/count", "10");  // lands between our read and commit
                }
                txn.write("/libxl/t/count", Integer.toString(count + 1));
                return count + 1;
            });
            assertEquals(11, result);
        }
        assertEquals(2, attempts.get(), "first attempt conflicted, second committed");
        assertEquals(Optional.of("11"), store.read(NONE, "/libxl/t/count"));
    }

    @Test
    void retryHelperGivesUpWithEagainAfterItsBound() {
        store.write(NONE, "/libxl/t/busy", "0");
        try (XenStore rival = XenStore.open()) {
            XenCallException e = assertThrows(XenCallException.class, () -> store.inTransaction(3, txn -> {
                txn.read("/libxl/t/busy");
                rival.write(NONE, "/libxl/t/busy", Long.toString(System.nanoTime()));
                txn.write("/libxl/t/busy", "mine");
                return null;
            }));
            assertEquals(Errno.EAGAIN, e.errno());
        }
    }

    @Test
    void setsAndReadsBackPermissions() {
        store.write(NONE, "/libxl/t/private", "x");
        List<XsPermission> perms = List.of(new XsPermission(0, Access.NONE), new XsPermission(3, Access.READ),
                new XsPermission(5, Access.BOTH));
        store.setPermissions(NONE, "/libxl/t/private", perms);
        assertEquals(perms, store.permissions(NONE, "/libxl/t/private"));

        XenCallException e = assertThrows(XenCallException.class,
                () -> store.permissions(NONE, "/libxl/t/missing"));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/libxl/t/missing"), e.getMessage());
    }

    @Test
    void aWatchFires() {
        try (XenStore watcher = XenStore.open()) {
            assertTrue(watcher.fileDescriptor() > 2, "the connection's socket, for a poll loop");
            watcher.watch("/libxl/t/watched", "tok");
            assertEquals(new WatchEvent("/libxl/t/watched", "tok"), watcher.readWatch(), "initial event");
            store.write(NONE, "/libxl/t/watched/child", "v");
            assertEquals(new WatchEvent("/libxl/t/watched/child", "tok"), watcher.readWatch());
            watcher.unwatch("/libxl/t/watched", "tok");
        }
    }

    @Test
    void aDaemonThatDiesMidSessionGivesAClearError(TestBed bed) {
        XenstoredProcess doomed = XenstoredProcess.start(TestBed.nativeDir(), Path.of(System.getProperty("java.io.tmpdir")));
        try {
            TestBed.useXenstored(doomed.socket());
            try (XenStore session = XenStore.open()) {
                session.write(NONE, "/libxl/t/x", "1");
                doomed.kill();
                XenCallException first = assertThrows(XenCallException.class, () -> session.read(NONE, "/libxl/t/x"));
                assertTrue(first.getMessage().contains("connection to xenstored was lost"), first.getMessage());
                XenCallException later = assertThrows(XenCallException.class, () -> session.write(NONE, "/libxl/t/y", "2"));
                assertTrue(later.getMessage().contains("connection to xenstored was lost"), later.getMessage());
            }
            assertFalse(doomed.alive());
        } finally {
            TestBed.useXenstored(bed.xenstored().socket());
            doomed.close();
        }
        assertEquals(Optional.empty(), store.read(NONE, "/libxl/t/x"), "the bed's own daemon is untouched");
    }

    /**
     * libxenstore waits for an answer without a timeout: the deadline shuts the connection down
     * so that the waiting call fails, and the connection stays cut. Only "it returned" is timed.
     */
    @Test
    void aStoppedDaemonFailsTheRequestAtTheDeadlineAndTheConnectionStaysCut(TestBed bed) {
        XenstoredProcess hung = XenstoredProcess.start(TestBed.nativeDir(), Path.of(System.getProperty("java.io.tmpdir")));
        try {
            TestBed.useXenstored(hung.socket());
            try (XenStore session = XenStore.open(Duration.ofMillis(300))) {
                session.write(NONE, "/libxl/t/x", "1");
                XsTransaction open = session.begin();
                hung.suspend();

                StoreUnreachableException first = assertTimeoutPreemptively(HANG_GUARD,
                        () -> assertThrows(StoreUnreachableException.class, () -> session.read(NONE, "/libxl/t/x")));
                assertEquals(StoreUnreachableException.Reason.TIMED_OUT, first.reason());
                assertEquals(Errno.ETIMEDOUT, first.errno());
                assertEquals("xs_read(/libxl/t/x) failed: ETIMEDOUT: xenstored at " + hung.socket() + " did not answer"
                        + " within 300 ms, so the connection was shut down (is the daemon stopped or hung?)",
                        first.getMessage());
                StoreUnreachableException later = assertThrows(StoreUnreachableException.class,
                        () -> open.write("/libxl/t/y", "2"));
                assertEquals(StoreUnreachableException.Reason.TIMED_OUT, later.reason());
                assertTrue(later.getMessage().startsWith("xs_write(txn=" + open.id() + ", /libxl/t/y) failed: ETIMEDOUT"),
                        later.getMessage());
                assertThrows(StoreUnreachableException.class, open::close);
            } finally {
                hung.resume();
            }
            try (XenStore fresh = XenStore.open()) {
                assertEquals(Optional.of("1"), fresh.read(NONE, "/libxl/t/x"), "the daemon goes on once continued");
                assertEquals(Optional.empty(), fresh.read(NONE, "/libxl/t/y"), "the cut transaction never committed");
            }
        } finally {
            TestBed.useXenstored(bed.xenstored().socket());
            hung.close();
        }
    }

    @Test
    void aDaemonThatIsNotRunningIsNamedWithItsSocket(@TempDir Path dir) {
        Path nowhere = dir.resolve("socket");
        try {
            TestBed.useXenstored(nowhere);
            StoreUnreachableException e = assertThrows(StoreUnreachableException.class, XenStore::open);
            assertEquals(StoreUnreachableException.Reason.NOT_RUNNING, e.reason());
            assertTrue(e.getMessage().contains("there is no " + nowhere + " nor /dev/xen/xenbus: xenstored is not"
                    + " running here"), e.getMessage());
        } finally {
            TestBed.useXenstored(XenStoreNativeTest.bedSocket);
        }
    }

    @Test
    void aFinishedTransactionRefusesFurtherRequests() {
        XsTransaction txn = store.begin();
        assertTrue(txn.commit());
        assertThrows(IllegalStateException.class, () -> txn.read("/libxl"));
        txn.close();
    }
}

package org.xensshm.testkit.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xensshm.host.Errno;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.StoreWatches;
import org.xensshm.host.WatchEvent;
import org.xensshm.host.XenCallException;
import org.xensshm.host.XsPermission.Access;
import org.xensshm.host.XsPermission;

class InMemoryStoreTest {

    private final InMemoryStore store = new InMemoryStore();

    private void commit(Consumer<StoreTransaction> work) {
        try (StoreTransaction tx = store.begin()) {
            work.accept(tx);
            assertTrue(tx.commit());
        }
    }

    private static XenCallException fails(int errno, Runnable action) {
        XenCallException e = assertThrows(XenCallException.class, action::run);
        assertEquals(errno, e.errno(), e.getMessage());
        return e;
    }

    @Test
    void writeCreatesParentsAndRemoveTakesTheSubtree() {
        commit(tx -> tx.write("/a/b/c", "v"));
        assertEquals(Map.of("/", "", "/a", "", "/a/b", "", "/a/b/c", "v"), store.dump());
        commit(tx -> {
            assertEquals(List.of("b"), tx.list("/a"));
            assertEquals(List.of("a"), tx.list("/"));
            assertEquals(List.of(), tx.list("/nowhere"));
            assertEquals(Optional.empty(), tx.read("/a/x"));
            tx.mkdir("/a/b");
            tx.write("/a/b2", "w");
            tx.remove("/a/b");
            tx.remove("/not/there");
            assertEquals(List.of("b2"), tx.list("/a"));
        });
        assertEquals(Map.of("/", "", "/a", "", "/a/b2", "w"), store.dump());
    }

    @Test
    void uncommittedWorkIsInvisibleAndDiscardedOnClose() {
        try (StoreTransaction tx = store.begin()) {
            tx.write("/a", "1");
            try (StoreTransaction other = store.begin()) {
                assertEquals(Optional.empty(), other.read("/a"));
            }
        }
        assertEquals(Map.of("/", ""), store.dump());
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative", "/trailing/", "/double//slash", "/bad char", "/dot.dot", ""})
    void malformedPathsAreEinval(String path) {
        try (StoreTransaction tx = store.begin()) {
            fails(Errno.EINVAL, () -> tx.read(path));
            fails(Errno.EINVAL, () -> tx.write(path, "x"));
        }
    }

    @Test
    void rootCannotBeRemovedAndOversizedWritesAreRefused() {
        try (StoreTransaction tx = store.begin()) {
            fails(Errno.EINVAL, () -> tx.remove("/"));
            fails(Errno.E2BIG, () -> tx.write("/a", "x".repeat(5000)));
            fails(Errno.ENOENT, () -> tx.permissions("/missing"));
            fails(Errno.ENOENT, () -> tx.setPermissions("/missing", List.of(new XsPermission(0, Access.NONE))));
        }
    }

    @Test
    void aCommitConflictsWithChangesToAnythingItReadListedOrWrote() {
        commit(tx -> tx.write("/r/x", "0"));
        // read then changed elsewhere
        assertConflict(tx -> tx.read("/r/x"), tx -> tx.write("/r/x", "1"));
        // an absent node read, then created elsewhere
        assertConflict(tx -> tx.read("/r/new"), tx -> tx.write("/r/new", "1"));
        // a directory listed, then given a child elsewhere
        assertConflict(tx -> tx.list("/r"), tx -> tx.write("/r/y", "1"));
        // blind writes to the same node
        assertConflict(tx -> tx.write("/r/x", "2"), tx -> tx.write("/r/x", "3"));
        // removal of a subtree whose node changed elsewhere
        assertConflict(tx -> tx.remove("/r"), tx -> tx.write("/r/x", "4"));
        // children of one parent: creating a child changes the parent
        assertConflict(tx -> tx.write("/r/c1", ""), tx -> tx.write("/r/c2", ""));
    }

    @Test
    void unrelatedChangesDoNotConflict() {
        commit(tx -> {
            tx.write("/p/x", "0");
            tx.write("/q/y", "0");
        });
        try (StoreTransaction mine = store.begin()) {
            mine.read("/p/x");
            mine.write("/p/x", "1");
            commit(tx -> tx.write("/q/y", "1"));
            assertTrue(mine.commit());
        }
        assertEquals("1", store.dump().get("/p/x"));
        assertEquals("1", store.dump().get("/q/y"));
    }

    /** {@code first} runs in a transaction, {@code other} commits meanwhile; first's commit fails. */
    private void assertConflict(Consumer<StoreTransaction> first, Consumer<StoreTransaction> other) {
        Map<String, String> before;
        try (StoreTransaction mine = store.begin()) {
            first.accept(mine);
            commit(other);
            before = store.dump();
            assertFalse(mine.commit());
        }
        assertEquals(before, store.dump(), "a conflicting commit applied something");
    }

    @Test
    void concurrentIncrementsLoseNothing() throws Exception {
        commit(tx -> tx.write("/count", "0"));
        int threads = 8;
        int each = 200;
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> results = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    int attempts = 0;
                    for (int i = 0; i < each; i++) {
                        attempts += store.inTransaction(Integer.MAX_VALUE, tx -> {
                            int n = Integer.parseInt(tx.read("/count").orElseThrow());
                            tx.write("/count", Integer.toString(n + 1));
                            return 1;
                        });
                    }
                    return attempts;
                }));
            }
            for (Future<Integer> f : results) {
                assertEquals(each, f.get());
            }
        }
        assertEquals(Integer.toString(threads * each), store.dump().get("/count"));
    }

    @Test
    void domainsGetWhatThePermissionListGrants() {
        commit(tx -> {
            tx.write("/local/domain/5", "");
            tx.setPermissions("/local/domain/5", List.of(new XsPermission(0, Access.NONE), new XsPermission(5, Access.READ)));
            tx.write("/secret", "s");
            tx.write("/local/domain/5/inherited", "i");
        });
        Store guest = store.connection(5);
        try (StoreTransaction tx = guest.begin()) {
            assertEquals(Optional.of("i"), tx.read("/local/domain/5/inherited"));
            fails(Errno.EACCES, () -> tx.read("/secret"));
            fails(Errno.EACCES, () -> tx.write("/local/domain/5/mine", "x"));
            fails(Errno.EACCES, () -> tx.setPermissions("/local/domain/5", List.of(new XsPermission(5, Access.BOTH))));
            fails(Errno.EACCES, () -> tx.list("/"));
        }
        commit(tx -> tx.setPermissions("/local/domain/5", List.of(new XsPermission(5, Access.NONE))));
        try (StoreTransaction tx = guest.begin()) {
            tx.write("/local/domain/5/mine", "x");
            // what a domain creates, it owns
            assertEquals(5, tx.permissions("/local/domain/5/mine").getFirst().domid());
            assertTrue(tx.commit());
        }
    }

    @Test
    void theArmedOperationFailsWithoutEffect() {
        store.failNthOperation(3, Errno.EIO);
        try (StoreTransaction tx = store.begin()) {
            tx.write("/a", "1");
            fails(Errno.EIO, () -> tx.write("/b", "2"));
            tx.write("/c", "3");
            assertTrue(tx.commit());
        }
        assertEquals(Map.of("/", "", "/a", "1", "/c", "3"), store.dump());
        assertEquals(5, store.operationCount());
        store.failNthOperation(1, Errno.EAGAIN);
        fails(Errno.EAGAIN, store::begin);
    }

    @Test
    void aFinishedTransactionRefusesFurtherUse() {
        StoreTransaction tx = store.begin();
        assertTrue(tx.commit());
        fails(Errno.EINVAL, () -> tx.read("/"));
        tx.close();
    }

    @Test
    void watchesFireAtRegistrationThenForCommittedChangesAtOrUnderTheirPath() {
        try (StoreWatches watches = store.watches()) {
            watches.watch("/a", "tok");
            assertEquals(Optional.of(new WatchEvent("/a", "tok")), watches.awaitEvent(Duration.ZERO));

            commit(tx -> tx.write("/a/b", "v"));
            commit(tx -> tx.write("/ab", "not under /a"));
            try (StoreTransaction tx = store.begin()) {
                tx.write("/a/c", "aborted");
            }

            List<String> paths = new ArrayList<>();
            for (Optional<WatchEvent> e = watches.awaitEvent(Duration.ZERO); e.isPresent();
                 e = watches.awaitEvent(Duration.ZERO)) {
                assertEquals("tok", e.get().token());
                paths.add(e.get().path());
            }
            assertEquals(List.of("/a", "/a/b"), paths, "the created /a and /a/b, nothing else");
        }
    }

    @Test
    void introducingAndReleasingADomainFireTheSpecialWatches() {
        try (StoreWatches watches = store.watches()) {
            watches.watch(StoreWatches.INTRODUCE_DOMAIN, "in");
            watches.watch(StoreWatches.RELEASE_DOMAIN, "out");
            watches.awaitEvent(Duration.ZERO);
            watches.awaitEvent(Duration.ZERO);

            store.introduceDomain(5);
            store.introduceDomain(5);
            assertTrue(store.releaseDomain(5));
            assertFalse(store.releaseDomain(5), "not introduced any more");

            assertEquals(Optional.of(new WatchEvent(StoreWatches.INTRODUCE_DOMAIN, "in")), watches.awaitEvent(Duration.ZERO));
            assertEquals(Optional.of(new WatchEvent(StoreWatches.RELEASE_DOMAIN, "out")), watches.awaitEvent(Duration.ZERO));
            assertEquals(Optional.empty(), watches.awaitEvent(Duration.ZERO), "a second introduce fires nothing");
        }
    }

    @Test
    void lostWatchConnectionsFailAsLibxenstoreReportsADeadDaemon() {
        StoreWatches watches = store.watches();
        watches.watch("/a", "tok");

        store.loseWatchConnections();

        fails(Errno.ECONNRESET, () -> watches.awaitEvent(Duration.ZERO));
        watches.close();
        try (StoreWatches later = store.watches()) {
            fails(Errno.ECONNRESET, () -> later.watch("/a", "tok"));
        }
    }
}

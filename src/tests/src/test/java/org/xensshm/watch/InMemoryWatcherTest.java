package org.xensshm.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Hypervisor;
import org.xensshm.host.Store;
import org.xensshm.host.StoreWatches;
import org.xensshm.testkit.memory.InMemoryHost;
import org.xensshm.watch.StaticShmWatcher.Ending;

/** The watcher's scenarios in memory, plus what only the in-memory store can do: lose xenstored on demand. */
class InMemoryWatcherTest extends WatcherScenariosTest {

    @Override
    WatcherHost newHost() {
        return new MemoryHost(new InMemoryHost());
    }

    private InMemoryHost memory() {
        return ((MemoryHost) host).memory;
    }

    @Test
    void losingXenstoredEndsTheRun() throws Exception {
        start(settings());

        memory().store().loseWatchConnections();

        assertEquals(Ending.CONNECTION_LOST, ending.get(LIMIT_SECONDS, TimeUnit.SECONDS));
        WatcherEvent.ConnectionLost lost = events.await(WatcherEvent.ConnectionLost.class);
        assertTrue(lost.describe().startsWith("lost the connection to xenstored: "), lost.describe());
        watcher = null;
    }

    @Test
    void aWatcherRunsOnce() throws Exception {
        start(settings());
        watcher.stop();
        assertEquals(Ending.STOPPED, ending.get(LIMIT_SECONDS, TimeUnit.SECONDS));

        assertThrows(IllegalStateException.class, watcher::run);
        watcher = null;
    }

    private record MemoryHost(InMemoryHost memory) implements WatcherHost {
        @Override
        public Hypervisor hypervisor() {
            return memory.hypervisor();
        }

        @Override
        public Store store() {
            return memory.store();
        }

        @Override
        public StoreWatches openWatches() {
            return memory.store().watches();
        }

        @Override
        public void createGuest(int domid, String name, long ramPages, boolean paused) {
            memory.createGuest(domid, name, 0, ramPages, paused);
        }

        @Override
        public void destroyGuest(int domid) {
            memory.destroyDomain(domid);
        }

        @Override
        public boolean samePage(int ownerDomid, long ownerGfn, int borrowerDomid, long borrowerGfn) {
            return memory.hypervisor().samePage(ownerDomid, ownerGfn, borrowerDomid, borrowerGfn);
        }
    }
}

package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.xensshm.host.Errno;
import org.xensshm.host.Store;
import org.xensshm.host.StoreTransaction;
import org.xensshm.host.XenCallException;

/** The records suite over the in-memory backends, plus what only they can do: act as a guest on the store. */
class InMemoryRecordsConformanceTest extends RecordsConformanceTest {

    @Override
    protected ConformanceHost newHost() {
        return new InMemoryEngineConformanceTest.MemoryHost();
    }

    @Test
    void aGuestCanReadItsRoleButNeitherChangeNorRemoveIt() {
        exampleDomains();
        engine().attach(VM1, List.of(ID1_OWNER));
        engine().attach(VM2, List.of(ID1_VM2));
        Store guest = ((InMemoryEngineConformanceTest.MemoryHost) host).store.connection(VM2);
        try (StoreTransaction tx = guest.begin()) {
            assertEquals(Optional.of("slave"), tx.read("/local/domain/2/static_shm/ID1/role"));
            assertEquals(Errno.EACCES, assertThrows(XenCallException.class,
                    () -> tx.write("/local/domain/2/static_shm/ID1/role", "master")).errno());
            assertEquals(Errno.EACCES, assertThrows(XenCallException.class,
                    () -> tx.remove("/local/domain/2/static_shm/ID1")).errno());
            assertEquals(Errno.EACCES, assertThrows(XenCallException.class,
                    () -> tx.write("/local/domain/2/static_shm/ID9/role", "slave")).errno());
        }
    }
}

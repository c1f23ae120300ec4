package org.xensshm.engine;

import org.xensshm.testkit.junit.NativeTestBed;
import org.xensshm.testkit.testbed.SimulatedHypervisor;

/** The records suite over the native stack: the simulated hypervisor and the test bed's C xenstored. */
@NativeTestBed
class NativeRecordsConformanceTest extends RecordsConformanceTest {

    @Override
    protected ConformanceHost newHost() {
        return new NativeEngineConformanceTest.NativeHost(SimulatedHypervisor.preloaded());
    }
}

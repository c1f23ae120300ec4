package org.xensshm.testkit.junit;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.opentest4j.TestAbortedException;
import org.xensshm.testkit.testbed.SimulatedHypervisor;
import org.xensshm.testkit.testbed.TestBed;
import org.xensshm.xen.NativeLibraries;
import org.xensshm.xen.XenStore;

/**
 * Provides one {@link TestBed} for the whole test run (started on first use, stopped when the
 * run ends) and gives each test a clean one: the simulated hypervisor reset to dom0 only, in the
 * patched personality, and the xenstore subtrees the project writes removed.
 *
 * <p>When a piece is missing, the tests are skipped with the reason on a developer machine, and
 * fail under {@code CI=true}: CI must never pass without having run them.
 */
public final class TestBedExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TestBedExtension.class);

    /** Made by JUnit for the tests that ask for it ({@link NativeTestBed}). */
    public TestBedExtension() {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        testBed(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        TestBed bed = testBed(context);
        bed.hypervisor().reset();
        bed.hypervisor().personality(SimulatedHypervisor.Personality.SERIES_FIXED);
        try (XenStore store = XenStore.open()) {
            store.remove(XenStore.NO_TRANSACTION, "/libxl");
            store.remove(XenStore.NO_TRANSACTION, "/local");
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestBed.class || type == SimulatedHypervisor.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        TestBed bed = testBed(context);
        return parameter.getParameter().getType() == TestBed.class ? bed : bed.hypervisor();
    }

    private static TestBed testBed(ExtensionContext context) {
        StartedBed started = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(StartedBed.class, key -> StartedBed.start(), StartedBed.class);
        if (started.failure != null) {
            String reason = "native test bed unavailable: " + started.failure.getMessage();
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(reason + " (CI=true: native tests must run)", started.failure);
            }
            throw new TestAbortedException(reason);
        }
        return started.bed;
    }

    /** The run-wide bed, or why there is none; closed by JUnit when the run ends. */
    private record StartedBed(TestBed bed, RuntimeException failure) implements AutoCloseable {

        static StartedBed start() {
            try {
                NativeLibraries.require();
                return new StartedBed(TestBed.start(Path.of(System.getProperty("java.io.tmpdir"))), null);
            } catch (RuntimeException e) {
                return new StartedBed(null, e);
            }
        }

        @Override
        public void close() {
            if (bed != null) {
                bed.close();
            }
        }
    }
}

package org.xensshm.e2e.dom0;

/**
 * The C toolstack, as an operator runs it: every test domain is the e2e guest image
 * ({@code /e2e/domu.cfg}), created paused so that its regions can be set up before it runs.
 */
final class Xl {

    private static final String DOMU_CONFIG = "/e2e/domu.cfg";

    private Xl() {
    }

    /** {@code xl create -p}: the new domain's id. */
    static int createPaused(String name, int memoryMiB) {
        Programs.run("xl", "create", "-p", DOMU_CONFIG, "name=\"" + name + "\"", "memory=" + memoryMiB).orThrow();
        return Integer.parseInt(Programs.run("xl", "domid", name).orThrow().out().strip());
    }

    static void unpause(String name) {
        Programs.run("xl", "unpause", name).orThrow();
    }

    /** {@code xl destroy}; Xen may keep the domain dying while others hold its pages. */
    static void destroy(String name) {
        Programs.run("xl", "destroy", name).orThrow();
    }
}

package org.xensshm.e2e.dom0;

/**
 * One story told on a real hypervisor: it makes its domains through the {@link Lab} (which
 * destroys them afterwards) and reports each thing it verifies as a check.
 */
interface Scenario {

    String name();

    void run(Lab lab);

    static Scenario of(String name, java.util.function.Consumer<Lab> body) {
        return new Scenario() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public void run(Lab lab) {
                body.accept(lab);
            }
        };
    }
}

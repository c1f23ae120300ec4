package org.xensshm.devicetree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

import org.junit.jupiter.api.Test;

class HostTreeTest {

    /** The shape of a dom0less host tree as dtc prints it: QEMU's RAM, /chosen, two domains. */
    static final String HOST = """
            /dts-v1/;

            /memreserve/ 0x48000000 0x100000;
            / {
            	#address-cells = <0x02>;
            	#size-cells = <0x02>;
            	interrupt-parent = <0x8002>;

            	memory@40000000 {
            		reg = <0x00 0x40000000 0x00 0x80000000>;
            		device_type = "memory";
            	};

            	reserved-memory {
            		#address-cells = <0x02>;
            		#size-cells = <0x02>;
            		ranges;
            		fw@7ff00000 {
            			reg = <0x00 0x7ff00000 0x00 0x100000>;
            		};
            	};

            	chosen {
            		#address-cells = <0x02>;
            		#size-cells = <0x02>;
            		xen,xen-bootargs = "console=dtuart";
            		linux,initrd-start = <0x00 0x4a000000>;
            		linux,initrd-end = <0x4a100000>;

            		owner {
            			compatible = "xen,domain";
            			#address-cells = <0x01>;
            			#size-cells = <0x01>;
            			memory = <0x00 0x4000>;
            			cpus = <0x01>;

            			module@49000000 {
            				compatible = "multiboot,kernel\\0multiboot,module";
            				reg = <0x49000000 0x10000>;
            			};
            		};

            		borrower@1 {
            			compatible = "xen,domain";
            			memory = <0x00 0x8000>;
            			direct-map;
            			module@49100000 {
            				compatible = "multiboot,kernel", "multiboot,module";
            				reg = <0x00 0x49100000 0x00 0x10000>;
            			};
            			shared-mem-old {
            				compatible = "xen,domain-shared-memory-v1";
            				xen,shm-id = "old";
            				role = "borrower";
            				xen,shared-mem = <0x00 0x60000000 0x00 0x7000000 0x00 0x1000>;
            			};
            		};
            	};
            };
            """;

    @Test
    void findsTheDomainNodesWithTheCellsAndRamXenReadsThemWith() {
        HostTree tree = HostTree.parse(HOST, "host.dts");

        assertEquals(List.of(
                new HostTree.DomainNode("owner", 1, 1, OptionalLong.of(16L << 20), false, Set.of("module@49000000")),
                new HostTree.DomainNode("borrower@1", 2, 2, OptionalLong.of(32L << 20), true,
                        Set.of("module@49100000", "shared-mem-old"))), tree.domains());
        assertEquals("borrower@1", tree.domain("borrower").orElseThrow().name(), "a unit address aside");
        assertTrue(tree.domain("nobody").isEmpty());
    }

    @Test
    void knowsTheHostRamAndWhatIsAlreadyInUse() {
        HostTree tree = HostTree.parse(HOST, "host.dts");

        assertEquals(List.of(new HostTree.HostRange("/memory@40000000", 0x4000_0000L, 0x8000_0000L)), tree.ram());
        assertEquals(List.of("/memreserve/", "/reserved-memory/fw@7ff00000", "/chosen linux,initrd",
                "/chosen/owner/module@49000000",
                "/chosen/borrower@1/module@49100000", "/chosen/borrower@1/shared-mem-old (static shared memory old)"),
                tree.inUse().stream().map(HostTree.HostRange::what).toList());
        assertEquals(new HostTree.HostRange("/chosen/owner/module@49000000", 0x4900_0000L, 0x10000),
                tree.inUse().get(3), "read with the owner node's one cell");
        assertEquals(new HostTree.HostRange("/chosen linux,initrd", 0x4A00_0000L, 0x10_0000L), tree.inUse().get(2));
        assertEquals(List.of(new HostTree.ExistingShare("/chosen/borrower@1/shared-mem-old", "old",
                OptionalLong.of(0x6000_0000L), OptionalLong.of(0x1000))), tree.shares());
    }

    @Test
    void cellsComeFromTheNearestAncestorThenXensRootDefaults() {
        HostTree tree = HostTree.parse("""
                /dts-v1/;
                / {
                	chosen {
                		a { compatible = "xen,domain"; };
                		b { compatible = "xen,domain"; #size-cells = <2>; };
                	};
                };
                """, "t.dts");

        // No ancestor sets them: Xen's defaults for the root, 2 and 1.
        assertEquals(2, tree.domain("a").orElseThrow().addressCells());
        assertEquals(1, tree.domain("a").orElseThrow().sizeCells());
        assertEquals(2, tree.domain("b").orElseThrow().sizeCells());
        assertTrue(tree.domain("a").orElseThrow().memoryBytes().isEmpty());
    }

    @Test
    void mergesBlocksLabelsAndDeletionsAsDtcDoes() {
        HostTree tree = HostTree.parse("""
                /dts-v1/;
                /* a hand-written tree */
                / {
                	#address-cells = <2>; #size-cells = <2>;
                	chosen {
                		vm1: vm1 { compatible = "xen,domain"; #address-cells = <2>; #size-cells = <2>; };
                		gone { compatible = "xen,domain"; };
                		vm2 { compatible = "xen,domain"; };
                	};
                };
                &vm1 { memory = /bits/ 64 <0x10000>; };   // 64 MiB, as one 64-bit number
                &{/chosen/vm2} { #address-cells = <1>; #size-cells = <1>; x = [00 01], <(1 + 1)>, &vm1, <&vm1 'a'>; };
                / { chosen { /delete-node/ gone; }; };
                """, "t.dts");

        assertEquals(List.of("vm1", "vm2"), tree.domains().stream().map(HostTree.DomainNode::name).toList());
        assertTrue(tree.domain("vm1").orElseThrow().memoryBytes().isEmpty(), "a /bits/ 64 value is not two cells");
        assertEquals(1, tree.domain("vm2").orElseThrow().addressCells());
        assertEquals(1, tree.domain("vm2").orElseThrow().sizeCells());
    }

    @Test
    void refusesCellCountsItCannotRead() {
        HostTreeException expression = assertThrows(HostTreeException.class, () -> HostTree.parse(
                "/dts-v1/;\n/ { chosen { vm { compatible = \"xen,domain\"; #size-cells = <(0 + 1)>; }; }; };\n", "t.dts"));

        assertEquals(HostTreeException.Reason.UNREADABLE, expression.reason());
        assertTrue(expression.getMessage().startsWith("t.dts: #size-cells of node vm is not a plain number"),
                expression.getMessage());
    }

    @Test
    void refusesWhatItCannotReadNamingTheLine() {
        HostTreeException missingSemicolon = assertThrows(HostTreeException.class,
                () -> HostTree.parse("/dts-v1/;\n/ {\n\tchosen { }\n};\n", "t.dts"));
        assertEquals(HostTreeException.Reason.UNREADABLE, missingSemicolon.reason());
        assertEquals("t.dts:4: expected ';'", missingSemicolon.getMessage());

        assertTrue(assertThrows(HostTreeException.class, () -> HostTree.parse("/dts-v1/;\n#include \"x.dtsi\"\n", "t.dts"))
                .getMessage().startsWith("t.dts:2: #include is a C preprocessor directive"));
        assertTrue(assertThrows(HostTreeException.class, () -> HostTree.parse("/dts-v1/;\n/plugin/;\n", "t.dts"))
                .getMessage().contains("overlay"));
        assertTrue(assertThrows(HostTreeException.class, () -> HostTree.parse("/ { };\n", "t.dts"))
                .getMessage().contains("/dts-v1/"));
        assertTrue(assertThrows(HostTreeException.class, () -> HostTree.parse("/dts-v1/;\n&nolabel { };\n", "t.dts"))
                .getMessage().contains("no label nolabel"));
    }

    @Test
    void keepsTheTextAsGiven() {
        HostTree tree = HostTree.parse(HOST, "host.dts");

        assertEquals(HOST, tree.text());
        assertEquals("host.dts", tree.source());
        assertFalse(tree.domains().isEmpty());
    }
}

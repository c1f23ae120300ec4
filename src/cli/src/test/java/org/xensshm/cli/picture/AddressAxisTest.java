package org.xensshm.cli.picture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.xensshm.cli.picture.AddressAxis.Piece;
import org.xensshm.cli.picture.AddressAxis.Scale;
import org.xensshm.spec.Platform;
import org.xensshm.spec.XlConfigParser;

class AddressAxisTest {

    private static HostMap example(Platform platform) {
        return HostMap.of(List.of(
                XlConfigParser.parse("name = \"vm1\"\nstatic_shm = [ \"id=ID1, begin=0x100000, size=0x100000, role=owner\","
                        + " \"id=ID2, begin=0x300000, size=0x100000, role=owner\" ]\n", "vm1.cfg"),
                XlConfigParser.parse("name = \"vm3\"\nstatic_shm = [ \"id=ID2, offset=0x10000, begin=0x690000,"
                        + " size=0xf0000\" ]\n", "vm3.cfg")), platform, List.of());
    }

    @Test
    void thePiecesFollowOneAnotherWithoutGapsOrOverlaps() {
        AddressAxis axis = AddressAxis.of(example(Platform.ARM), 100);

        List<Piece> pieces = axis.pieces();
        assertEquals(100, axis.top());
        for (int i = 1; i < pieces.size(); i++) {
            assertEquals(pieces.get(i - 1).end(), pieces.get(i).begin());
            assertEquals(pieces.get(i - 1).bottom(), pieces.get(i).top(), 1e-9);
        }
        double previous = Double.NEGATIVE_INFINITY;
        for (long address : axis.bounds()) {
            assertTrue(axis.y(address) > previous, "addresses grow downwards: " + Long.toHexString(address));
            previous = axis.y(address);
        }
    }

    @Test
    void theSharedRegionsAreDrawnToOneScale() {
        AddressAxis axis = AddressAxis.of(example(Platform.ARM), 0);

        Piece scaled = axis.pieces().getFirst();
        assertEquals(Scale.TO_SCALE, scaled.scale());
        // The regions, the window and the gaps between them: one stretch, 0x100000 to 0x780000.
        assertEquals(List.of(0x100000L, 0x780000L), List.of(scaled.begin(), scaled.end()));
        double perMiB = axis.y(0x200000) - axis.y(0x100000);
        assertEquals(perMiB, axis.y(0x400000) - axis.y(0x300000), 1e-9);
        assertEquals(perMiB / 16, axis.y(0x310000) - axis.y(0x300000), 1e-9);
        assertEquals(1L << 20, AddressAxis.scaleUnit(scaled));
    }

    @Test
    void xensAreasAreCompressedAndEmptyStretchesCut() {
        AddressAxis axis = AddressAxis.of(example(Platform.ARM), 0);

        Piece afterShared = axis.pieces().get(1);
        assertEquals(Scale.CUT, afterShared.scale(), "nothing between 0x780000 and virtio-mmio");
        assertEquals(List.of(0x780000L, 0x2000000L), List.of(afterShared.begin(), afterShared.end()));
        assertEquals(AddressAxis.CUT_HEIGHT, afterShared.height());
        Piece virtio = axis.pieces().get(2);
        assertEquals(Scale.COMPRESSED, virtio.scale());
        assertEquals(56, virtio.height(), 1e-9);
        assertEquals(16, AddressAxis.compressedHeight(4096), 1e-9);
        assertEquals(106, AddressAxis.compressedHeight(1L << 30), 1e-9);
        // Where RAM starts is placed even though its size is not known.
        assertTrue(axis.bounds().contains(0x40000000L));
    }

    @Test
    void withoutArmsLayoutOnlyTheRegionsArePlaced() {
        AddressAxis axis = AddressAxis.of(example(Platform.X86), 0);

        assertEquals(1, axis.pieces().size());
        assertEquals(Scale.TO_SCALE, axis.pieces().getFirst().scale());
    }
}

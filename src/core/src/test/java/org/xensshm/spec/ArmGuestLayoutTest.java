package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class ArmGuestLayoutTest {

    private static final long MIB = 1 << 20;

    @Test
    void ramFillsTheLowBankFirst() {
        assertEquals(List.of(new ArmGuestLayout.Area("RAM (bank 0)", 0x4000_0000L, 16 * MIB)),
                ArmGuestLayout.ram(16 * MIB));
        List<ArmGuestLayout.Area> big = ArmGuestLayout.ram(4096 * MIB);
        assertEquals(0xC000_0000L, big.get(0).size());
        assertEquals(new ArmGuestLayout.Area("RAM (bank 1)", 0x2_0000_0000L, 1024 * MIB), big.get(1));
    }

    @Test
    void namesWhatARangeHits() {
        assertEquals(List.of("grant table"), ArmGuestLayout.conflicts(0x3800_0000L, 0x3800_1000L, OptionalLong.empty())
                .stream().map(ArmGuestLayout.Area::name).toList());
        assertEquals(List.of("GICv3 redistributors"), ArmGuestLayout.fixedAreasIn(0x0400_0000L, 0x0400_1000L)
                .stream().map(ArmGuestLayout.Area::name).toList());
        assertTrue(ArmGuestLayout.conflicts(0x0500_0000L, 0x0520_0000L, OptionalLong.of(16 * MIB)).isEmpty(),
                "below RAM and clear of Xen's areas");
        assertTrue(ArmGuestLayout.conflicts(0x5000_0000L, 0x5000_4000L, OptionalLong.of(16 * MIB)).isEmpty(),
                "past a small guest's RAM");
        assertEquals(List.of("RAM (bank 0)"), ArmGuestLayout.conflicts(0x5000_0000L, 0x5000_4000L,
                OptionalLong.of(512 * MIB)).stream().map(ArmGuestLayout.Area::name).toList());
    }
}

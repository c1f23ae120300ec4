package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordsTest {

    @Test
    void addressesAreWrittenAsTheSeedDoesAndReadLikeStrtoull16() {
        assertEquals("0x100000", Records.hex(0x100000));
        assertEquals("0x0", Records.hex(0));
        assertEquals(0x100000, Records.parseHex("begin", "0x100000"));
        assertEquals(0xABC000L, Records.parseHex("begin", "0XAbC000"));
        assertEquals(0x1000, Records.parseHex("begin", "1000"));
    }

    /** The seed's bug: "10" written in decimal was read back with base 16 as domain 16. */
    @Test
    void domidsAreDecimalBothWays() {
        assertEquals(10, Records.parseDomid("master", "10"));
        assertEquals(0x7FEF, Records.parseDomid("master", Integer.toString(0x7FEF)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0x10", "-1", "32752", "1e3", "9999999999"})
    void badDomidsAreRecordFormatErrors(String text) {
        assertThrows(RecordFormatException.class, () -> Records.parseDomid("master", text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0x", "zz", "0x1g"})
    void badAddressesAreRecordFormatErrors(String text) {
        assertThrows(RecordFormatException.class, () -> Records.parseHex("begin", text));
    }

    @Test
    void rangesMustBePageAlignedAndNonEmpty() {
        Records.checkRange("r", 0x1000, 0x2000);
        assertThrows(RecordFormatException.class, () -> Records.checkRange("r", 0x1000, 0x1000));
        assertThrows(RecordFormatException.class, () -> Records.checkRange("r", 0x1001, 0x2000));
        assertThrows(RecordFormatException.class, () -> Records.checkRange("r", 0x2000, 0x1000));
    }
}

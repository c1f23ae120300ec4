package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RecordValuesTest {

    @Test
    void addressesAreWrittenAsTheSeedDoesAndReadLikeStrtoull16() {
        assertEquals("0x100000", RecordValues.hex(0x100000));
        assertEquals("0x0", RecordValues.hex(0));
        assertEquals(0x100000, RecordValues.parseHex("begin", "0x100000"));
        assertEquals(0xABC000L, RecordValues.parseHex("begin", "0XAbC000"));
        assertEquals(0x1000, RecordValues.parseHex("begin", "1000"));
    }

    /** Owner domids are written 0x-hex; the C toolstacks' decimal is read as the decimal they meant. */
    @ParameterizedTest
    @ValueSource(ints = {1, 9, 10, 15, 16, 255, 32751})
    void ownerDomidsAreWrittenHexAndReadInBothForms(int domid) {
        assertEquals("0x" + Integer.toHexString(domid), RecordValues.domidText(domid));
        assertEquals(domid, RecordValues.parseDomid("owner", RecordValues.domidText(domid)));
        assertEquals(domid, RecordValues.parseDomid("owner", Integer.toString(domid)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0x", "0x7ff0", "-1", "32752", "1e3", "9999999999", "0x1g"})
    void badDomidsAreRecordFormatErrors(String text) {
        assertThrows(RecordFormatException.class, () -> RecordValues.parseDomid("master", text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0x", "zz", "0x1g"})
    void badAddressesAreRecordFormatErrors(String text) {
        assertThrows(RecordFormatException.class, () -> RecordValues.parseHex("begin", text));
    }

    @Test
    void rangesMustBePageAlignedAndNonEmpty() {
        RecordValues.checkRange("r", 0x1000, 0x2000);
        assertThrows(RecordFormatException.class, () -> RecordValues.checkRange("r", 0x1000, 0x1000));
        assertThrows(RecordFormatException.class, () -> RecordValues.checkRange("r", 0x1001, 0x2000));
        assertThrows(RecordFormatException.class, () -> RecordValues.checkRange("r", 0x2000, 0x1000));
    }
}

package org.xensshm.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine.TypeConversionException;

class BytesConverterTest {

    private final BytesConverter converter = new BytesConverter();

    @ParameterizedTest
    @CsvSource({"0,0", "4096,4096", "0x1000,4096", "0X1000,4096", "4k,4096", "4M,4194304", "0x10M,16777216",
            "2G,2147483648", "0x7fffffffffffffff,9223372036854775807"})
    void readsDecimalHexAndSuffixes(String text, long expected) {
        assertEquals(expected, converter.convert(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "M", "0x", "-1", "1.5M", "4T", "abc", "0x8000000000000000", "8589934592G"})
    void refusesAnythingElse(String text) {
        assertThrows(TypeConversionException.class, () -> converter.convert(text));
    }
}

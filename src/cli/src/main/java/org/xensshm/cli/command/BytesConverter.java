package org.xensshm.cli.command;

import java.util.Locale;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads an address or a size as configs write them, decimal or 0x-hex, optionally followed by
 * K, M or G (powers of 1024), e.g. {@code 0x40000000} or {@code 4M}.
 */
final class BytesConverter implements ITypeConverter<Long> {

    @Override
    public Long convert(String text) {
        String digits = text.strip();
        int shift = switch (digits.isEmpty() ? ' ' : Character.toUpperCase(digits.charAt(digits.length() - 1))) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        if (shift != 0) {
            digits = digits.substring(0, digits.length() - 1);
        }
        boolean hex = digits.toLowerCase(Locale.ROOT).startsWith("0x");
        try {
            long value = Long.parseLong(hex ? digits.substring(2) : digits, hex ? 16 : 10);
            if (value < 0 || value > Long.MAX_VALUE >>> shift) {
                throw new NumberFormatException();
            }
            return value << shift;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not an address or size (write decimal digits or"
                    + " 0x-hex, optionally followed by K, M or G)");
        }
    }
}

package org.xensshm.cli.command;

import java.util.Arrays;
import java.util.stream.Collectors;

import org.xensshm.engine.RecordLayout;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads {@code --layout}: {@code seed} or {@code owner-borrower}. */
final class LayoutConverter implements ITypeConverter<RecordLayout> {

    @Override
    public RecordLayout convert(String text) {
        return RecordLayout.ofLabel(text.strip()).orElseThrow(() -> new TypeConversionException("'" + text
                + "' is not a layout: " + Arrays.stream(RecordLayout.values()).map(RecordLayout::label)
                .collect(Collectors.joining(" or "))));
    }
}

package org.xensshm.cli.command;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a positive duration: a whole number followed by ms, s or m, e.g. {@code 10s} or {@code 500ms}. */
public final class DurationConverter implements ITypeConverter<Duration> {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)");

    @Override
    public Duration convert(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (m.matches() && Long.parseLong(m.group(1)) > 0) {
            long amount = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMinutes(amount);
            };
        }
        throw new TypeConversionException("'" + text + "' is not a duration (write a positive whole number followed"
                + " by ms, s or m, e.g. 10s)");
    }
}

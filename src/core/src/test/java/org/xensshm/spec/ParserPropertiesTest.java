package org.xensshm.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever layout a config uses, the parser reads the same drafts from it. */
class ParserPropertiesTest {

    @Provide
    Arbitrary<List<Map<SpecKey, String>>> specs() {
        // Any text without the characters that delimit pairs and strings, and not blank.
        Arbitrary<String> value = Arbitraries.strings().withChars("abcXYZ019_x./- ")
                .ofMinLength(1).ofMaxLength(12).map(String::strip).filter(s -> !s.isEmpty());
        return Arbitraries.maps(Arbitraries.of(SpecKey.class), value).ofMinSize(1).ofMaxSize(8)
                .list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<String> spacing() {
        return Arbitraries.of("", " ", "  ", "\t");
    }

    @Provide
    Arbitrary<String> gap() {
        // Between list items: nothing, new lines, or a comment running to the end of a line.
        return Arbitraries.of(" ", "\n", "\n\n    ", "  # about the next one, \"quoted\"\n");
    }

    @Property
    void readsBackWhatADraftWrites(@ForAll("specs") List<Map<SpecKey, String>> specs,
                                   @ForAll("spacing") String around, @ForAll("gap") String gap,
                                   @ForAll boolean singleQuotes, @ForAll boolean trailingComma) {
        char quote = singleQuotes ? '\'' : '"';
        StringBuilder text = new StringBuilder("name = \"vm\"\nstatic_shm = [").append(gap);
        for (int i = 0; i < specs.size(); i++) {
            String entry = new SpecDraft(specs.get(i), Optional.empty()).toConfigString()
                    .replace("=", around + "=" + around).replace(", ", around + "," + around);
            text.append(quote).append(entry).append(quote);
            if (i < specs.size() - 1 || trailingComma) {
                text.append(',');
            }
            text.append(gap);
        }
        text.append("]\n");

        DomainConfig config = XlConfigParser.parse(text.toString(), "p.cfg");
        assertEquals(specs, config.drafts().stream().map(SpecDraft::values).toList(),
                text::toString);
    }
}

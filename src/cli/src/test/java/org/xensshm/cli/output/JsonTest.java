package org.xensshm.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.xensshm.cli.JsonReader;

class JsonTest {

    @Test
    void stringsSurviveEveryCharacterThatNeedsEscaping() {
        String nasty = "quote \" backslash \\ slash / newline \n return \r tab \t backspace \b feed \f"
                + " bell \u0007 nul \u0000 unit-separator \u001f del \u007f accent é snowman \u2603";
        String written = Json.write(nasty);
        assertEquals(nasty, JsonReader.parse(written));
        assertTrue(written.chars().noneMatch(c -> c < 0x20 && c != '\n'), "raw control characters in " + written);
        assertEquals("\"\\u0000\\u001f\"\n", Json.write("\u0000\u001f"));
    }

    @Test
    void nestedValuesRoundTripInOrder() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", 1);
        inner.put("a", -7L);
        inner.put("empty", Map.of());
        inner.put("none", List.of());
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("ok", true);
        value.put("no", false);
        value.put("nothing", null);
        value.put("big", Long.MAX_VALUE);
        value.put("list", Arrays.asList("x", 2, null, inner));

        Object read = JsonReader.parse(Json.write(value));

        Map<String, Object> expected = new LinkedHashMap<>(value);
        expected.put("big", Long.MAX_VALUE);
        List<Object> list = new ArrayList<>(Arrays.asList("x", 2L, null));
        Map<String, Object> innerRead = new LinkedHashMap<>(inner);
        innerRead.put("z", 1L);
        list.add(innerRead);
        expected.put("list", list);
        assertEquals(expected, read);
        assertEquals(List.of("ok", "no", "nothing", "big", "list"), List.copyOf(((Map<?, ?>) read).keySet()));
    }

    @Test
    void aLineHoldsTheSameValueOnOneLine() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("event", "attached");
        value.put("text", "two\nlines");
        value.put("list", List.of(1, Map.of("k", "v"), List.of()));
        value.put("empty", Map.of());

        String line = Json.line(value);

        assertEquals("{\"event\":\"attached\",\"text\":\"two\\nlines\",\"list\":[1,{\"k\":\"v\"},[]],\"empty\":{}}\n",
                line);
        assertEquals(JsonReader.parse(Json.write(value)), JsonReader.parse(line));
    }

    @Test
    void refusesWhatItCannotWriteExactly() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(1.5));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, "x")));
    }
}

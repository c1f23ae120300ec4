package org.xensshm.testkit.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xensshm.testkit.junit.NativeTestBed;

/** Needs the test bed's shim and the daemon installed: their checks come first. */
@NativeTestBed
class XenstoredProcessTest {

    @Test
    void aSocketPathTooLongForUnixSocketsIsRefusedUpFrontAndLeavesNothing(@TempDir Path dir) throws IOException {
        Path deep = dir.resolve("d".repeat(100));
        TestBedUnavailableException e = assertThrows(TestBedUnavailableException.class,
                () -> XenstoredProcess.start(TestBed.nativeDir(), deep));
        assertTrue(e.getMessage().contains("would exceed 107 bytes"), e.getMessage());
        try (var left = Files.list(deep)) {
            assertEquals(0, left.count());
        }
    }
}

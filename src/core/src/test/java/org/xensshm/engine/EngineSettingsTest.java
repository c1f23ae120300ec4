package org.xensshm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.xensshm.host.MapSpace;

class EngineSettingsTest {

    @Test
    void defaultsFollowTheSeed() {
        EngineSettings settings = EngineSettings.defaults();
        assertEquals(MapSpace.GMFN_SHARE, settings.mapSpace());
        assertEquals(65535, settings.chunkPages());
        assertEquals(MapSpace.GMFN_FOREIGN, settings.withMapSpace(MapSpace.GMFN_FOREIGN).mapSpace());
        assertEquals(7, settings.withChunkPages(7).chunkPages());
        assertFalse(settings.trustBorrowers());
        assertFalse(settings.allowUnreferencedShare());
    }

    @Test
    void trustingBorrowersGoesWithForeignMappings() {
        EngineSettings trusting = EngineSettings.defaults().withTrustedBorrowers();
        assertTrue(trusting.trustBorrowers());
        assertEquals(MapSpace.GMFN_FOREIGN, trusting.mapSpace());
        assertFalse(trusting.withMapSpace(MapSpace.GMFN_SHARE).trustBorrowers(), "share needs no trust");
        assertThrows(IllegalArgumentException.class, () -> new EngineSettings(MapSpace.GMFN_SHARE, true, false,
                1, 1, Duration.ZERO, Optional.empty()));
        assertTrue(EngineSettings.defaults().withUnreferencedShareAllowed(true).allowUnreferencedShare());
        assertEquals(Optional.empty(), EngineSettings.defaults().layout(), "by default, new regions follow the host");
        assertEquals(Optional.of(RecordLayout.OWNER_BORROWER),
                EngineSettings.defaults().withLayout(RecordLayout.OWNER_BORROWER).withTrustedBorrowers().layout());
    }

    @Test
    void rejectsWhatTheAbiOrCommonSenseForbids() {
        EngineSettings settings = EngineSettings.defaults();
        assertThrows(IllegalArgumentException.class, () -> settings.withChunkPages(0));
        assertThrows(IllegalArgumentException.class, () -> settings.withChunkPages(65536));
        assertThrows(IllegalArgumentException.class, () -> settings.withTransactionAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> settings.withRetryBackoff(Duration.ofMillis(-1)));
    }
}

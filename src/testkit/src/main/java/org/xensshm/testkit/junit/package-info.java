/**
 * JUnit 5 support: {@link org.xensshm.testkit.junit.NativeTestBed} runs a test class against the
 * native test bed, started once per run and reset before each test; it skips with the reason when
 * the bed cannot start, and fails instead under {@code CI=true}.
 */
package org.xensshm.testkit.junit;

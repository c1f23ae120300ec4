package org.xensshm.testkit.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xensshm.testkit.testbed.TestBed;

/**
 * Marks a test class that runs against the user-space Xen test bed (real libxenctrl over the
 * simulated hypervisor, real xenstored). It gets a {@link TestBed} parameter; see
 * {@link TestBedExtension} for what happens when the bed is missing.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(TestBedExtension.class)
@Tag("native")
public @interface NativeTestBed {
}

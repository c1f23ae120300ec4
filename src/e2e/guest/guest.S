/* guest.S - the domU of the arm64 e2e tier: one 64 KiB bare-metal arm64 Image, used for every
 * domU (owner and borrowers alike). It watches one window of guest-physical memory and reports
 * what it sees in its own RAM, where dom0 reads it with a foreign map (e2e-peek guest-report).
 * Reporting through RAM works on every Xen: a release build refuses HYPERVISOR_console_io from
 * a domU.
 *
 * Loading: the arm64 Image header makes libxl load it at the start of guest RAM,
 * 0x40000000 (GUEST_RAM0_BASE, text_offset 0), so page 0 of the image is gfn 0x40000. It
 * runs at EL1 with the MMU off (VA = IPA, data accesses are Device-nGnRnE: aligned only, no
 * caches; fine under TCG, real hardware would need cache maintenance on dom0's side) and
 * needs no stack.
 *
 * Control block, image offset 0x100 (guest-physical 0x40000100), written by dom0:
 *   0x00 magic   "SSHMCTRL" (0x4c5254434d485353); without it the guest uses the defaults
 *   0x08 gen     generation: when it differs from the one the guest runs, the guest re-reads
 *                the block and starts over (fault state, write probe, read count cleared).
 *                dom0 writes it last. So the block may be filled before unpausing (normal
 *                case) or changed later, e.g. to retry after a fault
 *   0x10 window  guest-physical address to watch (default 0x50000000; low 3 bits ignored)
 *   0x18 flags   bit 0: after the first good read, write `value` once at window+8 and read
 *                it back (tests read-only mappings); bit 1 (with bit 0): instead of the
 *                store, a loop that never ends (tests the write probe's time limit)
 *   0x20 value   the 8 bytes to write
 *   0x28 period  milliseconds between two reads (0 = 200)
 *
 * Report block, image offset 0x200 (guest-physical 0x40000200), rewritten by the guest:
 *   0x00 magic   "SSHMREPT" (0x545045524d485353), set once the guest has started
 *   0x08 seq     iterations so far; grows by one every period, whatever happened
 *   0x10 gen     control generation in use (0: no control block, defaults)
 *   0x18 window  address watched         0x20 flags   flags in use
 *   0x28 fault   last exception: 0 none, 1 reading the window, 2 the write probe,
 *                3 anything else (the guest then stops: seq stands still)
 *   0x30 esr     0x38 far     0x40 elr    of that exception (ESR_EL1, FAR_EL1, ELR_EL1)
 *   0x48 wstate  write probe: 0 not tried, 1 written (no fault), 2 faulted, 3 stuck: the
 *                store had not completed one period later (see "Write probe" below)
 *   0x50 wback   the 8 bytes read back at window+8 after the write (when wstate = 1)
 *   0x58 reads   good reads of the window in this generation
 *   0x60 faults  exceptions taken since start
 *   0x68 cntvct  virtual counter at the last iteration     0x70 cntfrq  its frequency
 *   0x78 wakeups WFI returns since start (about seq when the timer wait works)
 *   0x80 base    address the image runs at (0x40000000 expected)
 *   0x88 period  ticks of the virtual counter between reads
 *   0xc0-0xff    the window's first 64 bytes, as of the last good read
 * Each iteration writes the window bytes before it bumps seq.
 *
 * Faults: a read of the window that faults (nothing mapped there) is recorded and the window
 * is not touched again in this generation (each such fault is a trap to Xen, and a debug Xen
 * logs every one); dom0 can re-arm with a new gen. A faulting write probe is recorded and
 * reading goes on. Read and write use aligned 8-byte accesses.
 *
 * Write probe: Xen 4.17 does not pass a stage-2 permission fault to the guest (it expects
 * only mem_access to cause one) and returns to the faulting instruction, so a store to a
 * read-only mapping would repeat forever, spinning a CPU. The store therefore runs with IRQs
 * unmasked and the virtual timer set one period ahead; its interrupt ends the store, the
 * report says wstate 3 (stuck), and the loop goes on.
 *
 * Waiting: between iterations the vCPU sleeps in WFI on its virtual timer, so it costs no
 * CPU time while dom0 works (under TCG an idle vCPU frees a host core). The timer's PPI 27 is
 * enabled in the vGIC, with IRQs still masked in PSTATE: Xen then sees it pending and returns
 * from the WFI at once if the timer fired before the WFI (e.g. the vCPU was descheduled
 * in between); with the PPI disabled such a wake-up would be lost and the guest would sleep
 * forever. The guest acknowledges it (ICC_IAR1/EOIR1) after each wake-up. 200 ms: dom0
 * sees a change within a fraction of a second, at about 5 wake-ups per second per guest.
 *
 * Build: build.sh (as, ld -Ttext=0, objcopy -O binary; must come out at exactly 64 KiB).
 */
        .equ    CTRL, 0x100
        .equ    C_MAGIC, 0x00
        .equ    C_GEN, 0x08
        .equ    C_WINDOW, 0x10
        .equ    C_FLAGS, 0x18
        .equ    C_VALUE, 0x20
        .equ    C_PERIOD, 0x28

        .equ    REPT, 0x200
        .equ    R_MAGIC, 0x00
        .equ    R_SEQ, 0x08
        .equ    R_GEN, 0x10
        .equ    R_WINDOW, 0x18
        .equ    R_FLAGS, 0x20
        .equ    R_FAULT, 0x28
        .equ    R_ESR, 0x30
        .equ    R_FAR, 0x38
        .equ    R_ELR, 0x40
        .equ    R_WSTATE, 0x48
        .equ    R_WBACK, 0x50
        .equ    R_READS, 0x58
        .equ    R_FAULTS, 0x60
        .equ    R_CNTVCT, 0x68
        .equ    R_CNTFRQ, 0x70
        .equ    R_WAKEUPS, 0x78
        .equ    R_BASE, 0x80
        .equ    R_PERIOD, 0x88
        .equ    R_BYTES, 0xc0
        .equ    REPT_SIZE, 0x100

        .equ    DEFAULT_WINDOW, 0x50000000
        .equ    DEFAULT_PERIOD_MS, 200

        /* Xen's guest GICv3 (public/arch-arm.h): redistributor of vCPU 0, its SGI/PPI frame */
        .equ    GICD_CTLR, 0x03001000
        .equ    GICR_SGI, 0x03020000 + 0x10000
        .equ    GICR_ISENABLER0, GICR_SGI + 0x100
        .equ    GICR_IPRIORITYR6, GICR_SGI + 0x418      /* PPIs 24..27 */
        .equ    VTIMER_PPI, 27

/* Registers, kept for the whole run (the handlers rely on x11, x12, x19-x21):
 *   x19 image base   x20 where to resume after a fault (0: no access in flight)
 *   x21 fault kind of the access in flight   x22 window   x23 flags   x24 value
 *   x25 period in ticks   x26 generation in use (-1 before the first)   x27 state bits
 *   (0: reads stopped after a fault, 1: write probe done)   x28 good reads
 *   x11 the write probe's deadline   x12 where to resume when it passes (0: none)
 * x0-x10 are scratch. */

        .text
        .globl  _start
_start:
        b       main                       /* code0 */
        .word   0                          /* code1 */
        .quad   0                          /* text_offset: load at the start of RAM */
        .quad   0x10000                    /* image_size: 64 KiB */
        .quad   0                          /* flags: little endian */
        .quad   0, 0, 0                    /* res2..res4 */
        .ascii  "ARM\x64"                  /* magic */
        .word   0                          /* res5: no PE header */

        .org    CTRL
control:                                   /* the image carries no control block: defaults */
        .quad   0, 0, 0, 0, 0, 0

        .org    REPT
report:
        .fill   REPT_SIZE, 1, 0

/* Every exception lands here. A fault of an access made under x20 is recorded and the code
 * resumes at x20; anything else is recorded as kind 3 and the guest stops. */
        .balign 0x800
        .macro  vector to
        b       \to
        .balign 0x80
        .endm
vectors:                                   /* sync, IRQ, FIQ, SError; for EL1 with SP0, */
        vector  trap                       /* EL1 with SP1 (this guest), then lower ELs */
        vector  irq
        vector  trap
        vector  trap
        vector  trap
        vector  irq
        vector  trap
        vector  trap
        .rept   8
        vector  trap
        .endr

/* IRQs are unmasked only around the write probe's store: the virtual timer's interrupt ends
 * a store that does not complete by its deadline (x11) and resumes at x12. An earlier,
 * stale timer interrupt is acknowledged and the store goes on. */
irq:    mrs     x10, icc_iar1_el1
        cmp     x10, #1020
        b.hs    1f
        msr     icc_eoir1_el1, x10
1:      isb
        mrs     x10, cntvct_el0
        cmp     x10, x11
        b.lo    2f
        msr     cntv_ctl_el0, xzr
        cbz     x12, 2f
        msr     elr_el1, x12
        mov     x12, #0
        mov     x20, #0
2:      isb
        eret

trap:   add     x9, x19, #REPT
        mrs     x10, esr_el1
        str     x10, [x9, #R_ESR]
        mrs     x10, far_el1
        str     x10, [x9, #R_FAR]
        mrs     x10, elr_el1
        str     x10, [x9, #R_ELR]
        ldr     x10, [x9, #R_FAULTS]
        add     x10, x10, #1
        str     x10, [x9, #R_FAULTS]
        cbz     x20, 1f
        str     x21, [x9, #R_FAULT]
        msr     elr_el1, x20
        mov     x20, #0
        dsb     sy
        eret
1:      mov     x10, #3
        str     x10, [x9, #R_FAULT]
        dsb     sy
2:      wfi
        b       2b

main:   msr     daifset, #0xf              /* no exception handling beyond the vectors */
        adr     x19, _start
        adr     x0, vectors
        msr     vbar_el1, x0
        isb
        mov     x20, #0
        mov     x12, #0

        add     x9, x19, #REPT             /* a clean report, then the magic */
        mov     x1, x9
        mov     x2, #REPT_SIZE / 8
1:      str     xzr, [x1], #8
        subs    x2, x2, #1
        b.ne    1b
        mrs     x0, cntfrq_el0
        str     x0, [x9, #R_CNTFRQ]
        str     x19, [x9, #R_BASE]
        ldr     x0, =0x545045524d485353    /* "SSHMREPT" */
        str     x0, [x9, #R_MAGIC]
        dsb     sy

        /* The virtual timer's PPI, enabled in the vGIC (see the head comment). If any of
         * this traps, the report says so (fault 3). */
        mov     x20, #0
        mrs     x0, icc_sre_el1
        orr     x0, x0, #1
        msr     icc_sre_el1, x0
        isb
        ldr     x1, =GICD_CTLR
        mov     w0, #2                     /* EnableGrp1 */
        str     w0, [x1]
        ldr     x1, =GICR_IPRIORITYR6
        mov     w0, #0x80808080 & 0xffff
        movk    w0, #0x8080, lsl #16
        str     w0, [x1]
        ldr     x1, =GICR_ISENABLER0
        mov     w0, #(1 << VTIMER_PPI) & 0xffff
        movk    w0, #(1 << VTIMER_PPI) >> 16, lsl #16
        str     w0, [x1]
        mov     x0, #0xff
        msr     icc_pmr_el1, x0
        mov     x0, #1
        msr     icc_igrpen1_el1, x0
        isb

        mov     x26, #-1

loop:   add     x9, x19, #REPT
        add     x8, x19, #CTRL
        /* The generation asked for: the control's gen when its magic is there, else 0. */
        ldr     x0, [x8, #C_MAGIC]
        ldr     x1, =0x4c5254434d485353    /* "SSHMCTRL" */
        mov     x2, #0
        cmp     x0, x1
        b.ne    1f
        ldr     x2, [x8, #C_GEN]
1:      cmp     x2, x26
        b.eq    read
        /* (Re)arm: take the control's values, or the defaults. */
        mov     x26, x2
        mov     x22, #DEFAULT_WINDOW
        mov     x23, #0
        mov     x24, #0
        mov     x3, #DEFAULT_PERIOD_MS
        cbz     x26, 2f
        ldr     x22, [x8, #C_WINDOW]
        ldr     x23, [x8, #C_FLAGS]
        ldr     x24, [x8, #C_VALUE]
        ldr     x0, [x8, #C_PERIOD]
        cbz     x0, 2f
        mov     x3, x0
2:      bic     x22, x22, #7               /* aligned accesses only with the MMU off */
        mrs     x0, cntfrq_el0             /* period in ticks = freq * ms / 1000 */
        mul     x0, x0, x3
        mov     x1, #1000
        udiv    x25, x0, x1
        mov     x27, #0
        mov     x28, #0
        str     x26, [x9, #R_GEN]
        str     x22, [x9, #R_WINDOW]
        str     x23, [x9, #R_FLAGS]
        str     x25, [x9, #R_PERIOD]
        str     xzr, [x9, #R_FAULT]
        str     xzr, [x9, #R_ESR]
        str     xzr, [x9, #R_FAR]
        str     xzr, [x9, #R_ELR]
        str     xzr, [x9, #R_WSTATE]
        str     xzr, [x9, #R_WBACK]
        str     xzr, [x9, #R_READS]

read:   tbnz    x27, #0, done              /* a read faulted in this generation */
        adr     x20, read_fault
        mov     x21, #1
        mov     x1, x22
        add     x2, x9, #R_BYTES
        mov     x3, #8
1:      ldr     x4, [x1], #8
        str     x4, [x2], #8
        subs    x3, x3, #1
        b.ne    1b
        mov     x20, #0
        add     x28, x28, #1
        str     x28, [x9, #R_READS]

        tbz     x23, #0, done              /* write probe: asked for, and not done yet */
        tbnz    x27, #1, done
        orr     x27, x27, #2
        mov     x0, #3                     /* "stuck" until the store is known to be done */
        str     x0, [x9, #R_WSTATE]
        dsb     sy
        /* Deadline one period ahead, on the virtual timer, with IRQs on: Xen 4.17 does not
         * pass a stage-2 permission fault (a write to a read-only mapping) to the guest but
         * returns to the store, again and again; the timer's interrupt ends that. */
        isb
        mrs     x11, cntvct_el0
        add     x11, x11, x25
        msr     cntv_cval_el0, x11
        mov     x0, #1
        msr     cntv_ctl_el0, x0
        isb
        adr     x20, write_fault
        mov     x21, #2
        adr     x12, write_stuck
        msr     daifclr, #2
        tbnz    x23, #1, .                 /* flags bit 1: a store that never ends (tests this) */
        str     x24, [x22, #8]
        dsb     sy
        ldr     x0, [x22, #8]
        msr     daifset, #2
        mov     x20, #0
        mov     x12, #0
        msr     cntv_ctl_el0, xzr
        str     x0, [x9, #R_WBACK]
        mov     x0, #1
        str     x0, [x9, #R_WSTATE]
        b       done

read_fault:
        orr     x27, x27, #1
        b       done
write_fault:                               /* the store faulted: resumed here by trap */
        msr     daifset, #2
        mov     x12, #0
        msr     cntv_ctl_el0, xzr
        mov     x0, #2
        str     x0, [x9, #R_WSTATE]
        b       done
write_stuck:                               /* no end to the store by the deadline: by irq */
        msr     daifset, #2

done:   isb
        mrs     x0, cntvct_el0
        str     x0, [x9, #R_CNTVCT]
        ldr     x0, [x9, #R_SEQ]
        add     x0, x0, #1
        str     x0, [x9, #R_SEQ]
        dsb     sy

        /* Sleep one period on the virtual timer. */
        isb
        mrs     x10, cntvct_el0
        add     x10, x10, x25
        msr     cntv_cval_el0, x10
        mov     x0, #1                     /* ENABLE, not masked */
        msr     cntv_ctl_el0, x0
        isb
1:      wfi
        ldr     x0, [x9, #R_WAKEUPS]
        add     x0, x0, #1
        str     x0, [x9, #R_WAKEUPS]
        mrs     x0, icc_iar1_el1           /* acknowledge the timer's PPI if it is pending, */
        cmp     x0, #1020                  /* else the next WFI would return at once */
        b.hs    2f
        msr     icc_eoir1_el1, x0
2:      isb
        mrs     x0, cntvct_el0
        cmp     x0, x10
        b.hs    3f
        mov     x0, #1                     /* early: unmask again (Xen masks the timer */
        msr     cntv_ctl_el0, x0           /* when it injects its interrupt) and sleep on */
        isb
        b       1b
3:      msr     cntv_ctl_el0, xzr
        isb
        b       loop

        .ltorg
        .balign 0x10000, 0                 /* pad to image_size */

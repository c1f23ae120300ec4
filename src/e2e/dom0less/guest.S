/* guest.S - bare-metal arm64 domU for the dom0less static shared memory test.
 *
 * Assembled by build-guest.sh, once per domain, with these defines:
 *   OWNER or BORROWER   the role
 *   GUEST_NAME          the domain's name, first word of every line it prints ("owner")
 *   SHM_ID              the region's id as a string ("shm0"; Xen allows up to 15 characters)
 *   WINDOW              the guest address where the region is mapped in this domain
 *   TRIES               how many times a borrower looks (every 0.25 s) before giving up
 *
 * The owner builds the text "xen-sshm:<id>:cntvct=<16 hex digits>" (its virtual counter:
 * a value nobody can know before the run), writes it with a NUL into its window, reads the
 * window back and prints   "<name>: wrote [<bytes>]".
 * A borrower reads its window until it holds "xen-sshm:<id>:cntvct=" + 16 hex digits + NUL,
 * then prints              "<name>: MATCH [<bytes>]"   (or "<name>: NO MATCH [...]").
 * The bytes printed are the ones read from the window in that very pass, so the judge
 * (judge.sh) can require the borrower's bytes to equal the owner's, counter included.
 * Any exception prints     "<name>: FAULT esr=... far=... elr=..."   and stops the guest.
 *
 * Environment: Xen's dom0less loader puts the image at the start of guest RAM, MMU and
 * caches off. All data accesses are then Device memory, which is why only byte loads/stores
 * are used on the window (no unaligned access possible) and why ordering needs only dsb.
 * Output goes through HYPERVISOR_console_io (hvc #0xEA1, x16 = 18), which a debug Xen lets
 * any domain use; it prints each complete line as "(dN) <line>" and drops non-printable
 * bytes, so lines end in '\n' and non-printable window bytes are shown as '.'.
 * No stack: helpers are leaf functions, except `emit`, which keeps its return address in x28.
 * The hypercall may clobber x0-x7 and x16; loop state lives in x19-x27.
 */
#define STR_(x) #x
#define STR(x) STR_(x)

#if defined(OWNER) == defined(BORROWER)
#error "define exactly one of OWNER and BORROWER"
#endif
#ifndef GUEST_NAME
#error "GUEST_NAME is required"
#endif
#ifndef SHM_ID
#error "SHM_ID is required"
#endif
#ifndef WINDOW
#error "WINDOW is required"
#endif
#ifndef TRIES
#define TRIES 120
#endif
#ifdef OWNER
#define ROLE "owner"
#else
#define ROLE "borrower"
#endif

        .equ    HYPERCALL_console_io, 18
        .equ    CONSOLEIO_write, 0
        .equ    MAXLEN, 63                 /* window bytes read and shown, at most */
        .equ    IMAGE_SIZE, 0x10000

        .text
        .globl  _start
/* arm64 Image header (Linux Documentation/arch/arm64/booting.rst): Xen recognises the
 * image by the magic and loads it at guest RAM base + text_offset. */
_start: b       entry                      /* code0 */
        .long   0                          /* code1 */
        .quad   0                          /* text_offset */
        .quad   IMAGE_SIZE                 /* image_size */
        .quad   0                          /* flags: little endian, 4K pages unspecified */
        .quad   0, 0, 0                    /* reserved */
        .ascii  "ARM\x64"                  /* magic */
        .long   0                          /* reserved (PE header offset) */

entry:  adr     x0, vectors                /* first of all: faults must be reported */
        msr     vbar_el1, x0
        isb
        adr     x0, msg_up
        bl      puts

#ifdef OWNER
        /* text = prefix + counter */
        adr     x1, text
        adr     x2, prefix
        bl      strcpy
        isb
        mrs     x0, cntvct_el0
        bl      hex16
        strb    wzr, [x1]

        /* Into the window: everything but the first byte, then the first byte, so a reader
         * that sees the first byte of the prefix also sees the rest (Device memory keeps
         * program order; dsb makes it visible to the other CPUs). */
        ldr     x19, =WINDOW
        adr     x20, text
        mov     x3, #1
1:      ldrb    w4, [x20, x3]
        strb    w4, [x19, x3]
        add     x3, x3, #1
        cbnz    w4, 1b
        dsb     sy
        ldrb    w4, [x20]
        strb    w4, [x19]
        dsb     sy

        bl      snapshot                   /* read back through our own mapping */
        adr     x0, text
        adr     x1, seen
        bl      streq
        adr     x1, tag_wrote
        cbnz    x0, 2f
        adr     x1, tag_readback
2:      bl      emit
        b       halt
#else
        mov     x20, #TRIES
        mov     x21, #0                    /* 1 once the first (waiting) line is out */
poll:   bl      snapshot
        bl      expected
        cbnz    x0, matched
        cbnz    x21, 1f
        adr     x1, tag_waiting
        bl      emit
        mov     x21, #1
1:      subs    x20, x20, #1
        b.eq    nomatch
        bl      delay
        b       poll
matched:
        adr     x1, tag_match
        bl      emit
        b       halt
nomatch:
        adr     x1, tag_nomatch
        bl      emit
#endif
halt:   wfi
        b       halt

/* snapshot: copy the window's bytes up to its first NUL (MAXLEN at most) into `seen`,
 * NUL-terminated. Clobbers x2-x5. */
snapshot:
        ldr     x2, =WINDOW
        adr     x3, seen
        mov     x4, #0
1:      ldrb    w5, [x2, x4]
        strb    w5, [x3, x4]
        cbz     w5, 2f
        add     x4, x4, #1
        cmp     x4, #MAXLEN
        b.lo    1b
        strb    wzr, [x3, x4]
2:      ret

#ifdef BORROWER
/* expected: x0 = 1 if `seen` is prefix + exactly 16 lowercase hex digits, else 0.
 * Clobbers x0-x5. */
expected:
        adr     x1, seen
        adr     x2, prefix
1:      ldrb    w4, [x2], #1               /* the prefix, byte for byte */
        cbz     w4, 2f
        ldrb    w3, [x1], #1
        cmp     w3, w4
        b.ne    no
        b       1b
2:      mov     x5, #16
3:      ldrb    w3, [x1], #1               /* then 16 digits 0-9a-f */
        sub     w4, w3, #'0'
        cmp     w4, #9
        b.ls    4f
        sub     w4, w3, #'a'
        cmp     w4, #5
        b.hi    no
4:      subs    x5, x5, #1
        b.ne    3b
        ldrb    w3, [x1]                   /* and the end */
        cbnz    w3, no
        mov     x0, #1
        ret
no:     mov     x0, #0
        ret
#endif

#ifdef OWNER
/* streq: x0 = 1 if the strings at x0 and x1 are equal, else 0. Clobbers x0-x4. */
streq:  ldrb    w2, [x0], #1
        ldrb    w3, [x1], #1
        cmp     w2, w3
        b.ne    1f
        cbnz    w2, streq
        mov     x0, #1
        ret
1:      mov     x0, #0
        ret
#endif

/* emit: print "<tag> [<seen, non-printables as '.'>]\n"; x1 = the tag, which begins with
 * the guest's name. Clobbers x0-x7, x16, x28. */
emit:   mov     x28, x30
        mov     x2, x1
        adr     x1, line
        bl      strcpy
        mov     w3, #' '
        strb    w3, [x1], #1
        mov     w3, #'['
        strb    w3, [x1], #1
        adr     x2, seen
1:      ldrb    w3, [x2], #1
        cbz     w3, 3f
        cmp     w3, #' '
        b.lo    2f
        cmp     w3, #'~'
        b.ls    4f
2:      mov     w3, #'.'
4:      strb    w3, [x1], #1
        b       1b
3:      mov     w3, #']'
        strb    w3, [x1], #1
        mov     w3, #'\n'
        strb    w3, [x1], #1
        strb    wzr, [x1]
        adr     x0, line
        bl      puts
        ret     x28

/* puts: write the NUL-terminated string at x0 to Xen's console in one hypercall.
 * Clobbers x0-x7, x16 (what the hypercall may clobber). */
puts:   mov     x2, x0                     /* MMU off: the buffer's address is its IPA */
        mov     x1, #0
1:      ldrb    w3, [x2, x1]
        cbz     w3, 2f
        add     x1, x1, #1
        b       1b
2:      mov     x0, #CONSOLEIO_write
        mov     x16, #HYPERCALL_console_io
        hvc     #0xEA1
        ret

/* strcpy: copy the string at x2 to x1 without its NUL; x1 ends after the last byte copied.
 * Clobbers x2, x3. */
strcpy: ldrb    w3, [x2], #1
        cbz     w3, 1f
        strb    w3, [x1], #1
        b       strcpy
1:      ret

/* hex16: write x0 as 16 lowercase hex digits at x1; x1 ends after them. Clobbers x2, x3. */
hex16:  mov     x2, #60
1:      lsr     x3, x0, x2
        and     x3, x3, #0xf
        cmp     x3, #10
        b.lo    2f
        add     x3, x3, #('a' - 10 - '0')
2:      add     x3, x3, #'0'
        strb    w3, [x1], #1
        subs    x2, x2, #4
        b.ge    1b
        ret

/* delay: busy-wait a quarter of a second on the virtual counter. Clobbers x1-x3. */
delay:  mrs     x1, cntfrq_el0
        lsr     x1, x1, #2
        isb
        mrs     x2, cntvct_el0
        add     x2, x2, x1
1:      isb
        mrs     x3, cntvct_el0
        cmp     x3, x2
        b.lo    1b
        ret

/* Every exception lands here: report the syndrome, the faulting address and the
 * instruction, then stop. Without this, a guest touching an unmapped window would take
 * an abort to an unmapped vector and Xen would log the loop forever. */
fault:  adr     x1, line
        adr     x2, tag_fault
        bl      strcpy
        mrs     x0, esr_el1
        bl      hex16
        adr     x2, txt_far
        bl      strcpy
        mrs     x0, far_el1
        bl      hex16
        adr     x2, txt_elr
        bl      strcpy
        mrs     x0, elr_el1
        bl      hex16
        mov     w3, #'\n'
        strb    w3, [x1], #1
        strb    wzr, [x1]
        adr     x0, line
        bl      puts
1:      wfi
        b       1b

        .ltorg

        .balign 0x800                      /* VBAR_EL1 needs 2 KiB alignment */
vectors:
        .rept   16                         /* 4 exception kinds x 4 origins, 0x80 each */
        b       fault
        .balign 0x80
        .endr

        .section .rodata
msg_up: .asciz  GUEST_NAME ": up as " ROLE " of " SHM_ID ", window at " STR(WINDOW) "\n"
prefix: .asciz  "xen-sshm:" SHM_ID ":cntvct="
#ifdef OWNER
tag_wrote:    .asciz GUEST_NAME ": wrote"
tag_readback: .asciz GUEST_NAME ": READBACK DIFFERS"
#else
tag_waiting:  .asciz GUEST_NAME ": waiting, window holds"
tag_match:    .asciz GUEST_NAME ": MATCH"
tag_nomatch:  .asciz GUEST_NAME ": NO MATCH after " STR(TRIES) " tries, window holds"
#endif
tag_fault:    .asciz GUEST_NAME ": FAULT esr=0x"
txt_far:      .asciz " far=0x"
txt_elr:      .asciz " elr=0x"

        .bss
        .balign 16
text:   .space  MAXLEN + 1
seen:   .space  MAXLEN + 1
line:   .space  192

/* Reset and fault handling for the Cortex-M3 of QEMU's mps2-an385: the
 * vector table, the C runtime set-up that crt0 would do (the link uses
 * -nostartfiles), and an exit status that QEMU passes on through
 * semihosting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void _init(void);
void _fini(void);
/* newlib's, declared in no header. */
void initialise_monitor_handles(void);
void __libc_init_array(void);

/* From mps2_an385.ld. */
extern const uint8_t __stack_top[];
extern const uint8_t __data_load[];
extern uint8_t __data_start[], __data_end[], __bss_start[], __bss_end[];

enum {
    SYS_WRITE0 = 0x04,
    SYS_EXIT = 0x18,
    ADP_STOPPED_RUNTIME_ERROR = 0x20023, /* QEMU exits with status 1 for it */
};

/* Straight to the debugger (QEMU), without newlib: a fault may have
 * struck anywhere, newlib's state included. */
static void semihost(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}

struct vector_table {
    const void *initial_sp;
    void (*handler[15])(void);
};

/* The core reads it at 0x0 on reset. No interrupt is enabled, so the
 * system exceptions are all it needs; every one but reset is a failure.
 * One vector a line, in the architecture's order: */
/* clang-format off */
__attribute__((section(".vectors"), used)) static const struct vector_table vectors = {
    .initial_sp = __stack_top,
    .handler = {
        Reset_Handler,
        Fault_Handler, /* NMI */
        Fault_Handler, /* HardFault */
        Fault_Handler, /* MemManage */
        Fault_Handler, /* BusFault */
        Fault_Handler, /* UsageFault */
        0, 0, 0, 0,
        Fault_Handler, /* SVCall */
        Fault_Handler, /* DebugMonitor */
        0,
        Fault_Handler, /* PendSV */
        Fault_Handler, /* SysTick */
    },
};
/* clang-format on */

/* newlib's init and fini arrays call these; crti.o, which would define
 * them, is one of the start files left out. */
void _init(void) {
}
void _fini(void) {
}

void Reset_Handler(void) {
    memcpy(__data_start, __data_load, (size_t)(__data_end - __data_start));
    memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
    initialise_monitor_handles(); /* stdin, stdout, stderr over semihosting */
    __libc_init_array();
    /* rdimon's _exit passes the status on with SYS_EXIT_EXTENDED, which
     * QEMU makes its own exit status. */
    exit(main());
}

void Fault_Handler(void) {
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    char msg[] = "firmware: unexpected exception 0x00\n";
    const char *hex = "0123456789abcdef";
    msg[sizeof msg - 4] = hex[(ipsr >> 4) & 0xf];
    msg[sizeof msg - 3] = hex[ipsr & 0xf];
    semihost(SYS_WRITE0, msg);
    semihost(SYS_EXIT, (const void *)(uintptr_t)ADP_STOPPED_RUNTIME_ERROR);
    for (;;) {
    }
}

"""Firmware sources the tests link with arm-none-eabi-gcc, to hold the
tool to ELF files real linkers make."""

# A Cortex-M program with code, read-only data and initialised data (whose
# initial value sits in flash after .text), and nothing else.
ARM_FIRMWARE_C = """\
int counter = 5;
const char banner[] = "hello";
void Reset_Handler(void) { for (;;) { counter++; } }
"""

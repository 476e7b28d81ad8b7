/*
 * qemu-exit CODE: make QEMU exit with status (CODE << 1) | 1 through its isa-debug-exit
 * device (-device isa-debug-exit,iobase=0xf4,iosize=0x04). Built static for the initramfs.
 * The serial ports are drained first, or QEMU could exit before the last lines reach the host.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *ttys[] = { "/dev/ttyS0", "/dev/ttyS1" };
	int code = argc > 1 ? atoi(argv[1]) : 0;

	for (int i = 0; i < 2; i++) {
		int fd = open(ttys[i], O_WRONLY | O_NOCTTY);

		if (fd >= 0) {
			tcdrain(fd);
			close(fd);
		}
	}
	if (ioperm(0xf4, 1, 1)) {
		perror("qemu-exit: ioperm");
		return 1;
	}
	outb(code, 0xf4);
	fprintf(stderr, "qemu-exit: no isa-debug-exit device at 0xf4\n");
	return 1;
}

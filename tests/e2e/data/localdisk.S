/*
 * A master boot record that proves "the firmware booted the local disk":
 * it writes "BOOTSTORM-MARKER-OK localdisk" to COM1 and leaves QEMU through
 * its isa-debug-exit device (port 0xf4), which tests/e2e/install_once.sh
 * adds. Built at test time: as --32, ld -Ttext 0x7c00 --oformat binary.
 * SeaBIOS loads it at 0:7c00 in real mode; COM1's transmit register takes
 * bytes without set-up under QEMU.
 */
	.code16
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	$msg, %si
	movw	$0x3f8, %dx
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	movw	$0xf4, %dx
	movb	$0x31, %al
	outb	%al, %dx
3:	hlt
	jmp	3b
msg:	.asciz	"\r\nBOOTSTORM-MARKER-OK localdisk\r\n"
	.org	510
	.word	0xaa55

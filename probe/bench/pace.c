/* Writes one byte to /dev/null `rate` times per second for `seconds` (busy-waiting on the vDSO clock, so the
 * only system calls are the writes). Prints the number of writes and the elapsed seconds. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double rate = argc > 1 ? atof(argv[1]) : 1e6, seconds = argc > 2 ? atof(argv[2]) : 1;
	int fd = open("/dev/null", O_WRONLY);
	char c = 0;
	long n = 0, total = (long)(rate * seconds);
	double start = now();
	while (n < total) {
		for (int i = 0; i < 256 && n < total; i++, n++)
			write(fd, &c, 1);
		while (now() - start < n / rate)
			;
	}
	printf("%ld %.6f\n", n, now() - start);
	return 0;
}

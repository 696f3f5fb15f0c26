/* The cost of one 64-bit multiply-add with carries (mul + add/adc/adc, the
 * inner step of any multi-precision reduction) on this machine, in CPU time:
 * the floor for V312's 316k multiply-adds per RSA-2048 key (README
 * "Performance").  x86-64 only.
 *
 *   gcc -O2 scripts/bench/madd_floor.c -o target/madd_floor && target/madd_floor
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
    const long n = 200000000L;
    uint64_t x = 3, y = 5, lo = 0, mid = 0, hi = 0, sink = 0;
    /* the clock: one dependent add per iteration */
    double t = cpu();
    for (long i = 0; i < n; i++) __asm__ volatile("add $1, %0" : "+r"(sink));
    double hz = n / (cpu() - t);
    t = cpu();
    for (long i = 0; i < n; i++)
        __asm__ volatile("mov %3,%%rax; mulq %4; mov %4,%%rax; mulq %3"
                         : "+r"(lo), "+r"(mid), "+r"(hi) : "r"(x), "r"(y) : "rax", "rdx", "cc");
    double mul = (cpu() - t) / (2.0 * n) * hz;
    t = cpu();
    for (long i = 0; i < n; i++)
        __asm__ volatile("mov %3,%%rax; mulq %4; add %%rax,%0; adc %%rdx,%1; adc $0,%2;"
                         "mov %4,%%rax; mulq %3; add %%rax,%0; adc %%rdx,%1; adc $0,%2;"
                         : "+r"(lo), "+r"(mid), "+r"(hi) : "r"(x), "r"(y) : "rax", "rdx", "cc");
    double madd = (cpu() - t) / (2.0 * n) * hz;
    printf("clock %.2f GHz; mul %.2f cycles; multiply-add with carries %.2f cycles; "
           "316k of them: %.0f us\n", hz / 1e9, mul, madd, 316000 * madd / hz * 1e6);
    return (int)((lo + mid + hi + sink) & 0);
}

// What the processor gdlab runs on can execute, asked once at run time so that one binary can
// carry both the baseline and the AVX2 copy of the SGD kernel and pick the right one.

#ifndef GDLAB_CPU_FEATURES_H
#define GDLAB_CPU_FEATURES_H

/// 1 when the processor and the operating system support AVX2 and FMA (x86-64 only), else 0.
int gdlab_cpu_has_avx2_fma(void);

#endif

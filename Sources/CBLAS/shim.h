/* CBLAS: OpenBLAS's C interface (Debian: libopenblas-dev). Only Math/BLAS.swift imports it. */
#include <cblas.h>
/* OpenBLAS extensions for thread control; declared here so Swift sees them on any cblas.h. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

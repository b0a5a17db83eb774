// MPI loaded at run time: no MPI header or library at build time, so the default build and
// tests need no MPI, and one `emzoo` binary runs both alone and under `mpirun`.
//
// Only Open MPI's ABI is supported (Debian's openmpi-bin, libmpi.so.40): its handles are
// pointers, and the predefined ones are the addresses of exported globals
// (MPI_COMM_WORLD == &ompi_mpi_comm_world), so dlsym finds them by name.
#include "CKernels.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef void *emz_mpi_handle;

static struct {
  void *library;
  int finalized;
  emz_mpi_handle comm_world, type_double, type_int, type_byte, op_max;
  int (*init_thread)(int *, char ***, int, int *);
  int (*comm_rank)(emz_mpi_handle, int *);
  int (*comm_size)(emz_mpi_handle, int *);
  int (*allgatherv)(const void *, int, emz_mpi_handle, void *, const int *, const int *,
                    emz_mpi_handle, emz_mpi_handle);
  int (*allreduce)(const void *, void *, int, emz_mpi_handle, emz_mpi_handle, emz_mpi_handle);
  int (*bcast)(void *, int, emz_mpi_handle, int, emz_mpi_handle);
  int (*finalize)(void);
} mpi;

// Open MPI's MPI_THREAD_FUNNELED.
enum { EMZ_MPI_THREAD_FUNNELED = 1 };

static int resolve(void **slot, const char *name, char *error, size_t capacity) {
  *slot = dlsym(mpi.library, name);
  if (*slot == NULL) {
    snprintf(error, capacity, "the MPI library has no symbol %s (emzoo supports Open MPI's libmpi.so.40)", name);
    return -1;
  }
  return 0;
}

int emz_mpi_load(const char *library, char *error, size_t capacity) {
  const char *path = library != NULL ? library : "libmpi.so.40";
  if (mpi.library != NULL) return 0;
  // RTLD_GLOBAL: Open MPI's own components (dlopened by it) resolve symbols of libmpi.
  mpi.library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (mpi.library == NULL) {
    const char *reason = dlerror();
    snprintf(error, capacity, "cannot load the MPI library %s (%s); install Open MPI (openmpi-bin)",
             path, reason != NULL ? reason : "unknown reason");
    return -1;
  }
  if (resolve(&mpi.comm_world, "ompi_mpi_comm_world", error, capacity) ||
      resolve(&mpi.type_double, "ompi_mpi_double", error, capacity) ||
      resolve(&mpi.type_int, "ompi_mpi_int", error, capacity) ||
      resolve(&mpi.type_byte, "ompi_mpi_byte", error, capacity) ||
      resolve(&mpi.op_max, "ompi_mpi_op_max", error, capacity) ||
      resolve((void **)&mpi.init_thread, "MPI_Init_thread", error, capacity) ||
      resolve((void **)&mpi.comm_rank, "MPI_Comm_rank", error, capacity) ||
      resolve((void **)&mpi.comm_size, "MPI_Comm_size", error, capacity) ||
      resolve((void **)&mpi.allgatherv, "MPI_Allgatherv", error, capacity) ||
      resolve((void **)&mpi.allreduce, "MPI_Allreduce", error, capacity) ||
      resolve((void **)&mpi.bcast, "MPI_Bcast", error, capacity) ||
      resolve((void **)&mpi.finalize, "MPI_Finalize", error, capacity)) {
    dlclose(mpi.library);
    mpi.library = NULL;
    return -1;
  }
  int provided = 0;
  int status = mpi.init_thread(NULL, NULL, EMZ_MPI_THREAD_FUNNELED, &provided);
  if (status != 0) {
    snprintf(error, capacity, "MPI_Init_thread failed with MPI error %d", status);
    return -1;
  }
  return 0;
}

int emz_mpi_rank(int *rank) { return mpi.comm_rank(mpi.comm_world, rank); }

int emz_mpi_size(int *size) { return mpi.comm_size(mpi.comm_world, size); }

int emz_mpi_allgatherv_double(const double *send, int count, const int *counts,
                              const int *displacements, double *receive) {
  return mpi.allgatherv(send, count, mpi.type_double, receive, counts, displacements,
                        mpi.type_double, mpi.comm_world);
}

int emz_mpi_allreduce_max_int(int value, int *maximum) {
  return mpi.allreduce(&value, maximum, 1, mpi.type_int, mpi.op_max, mpi.comm_world);
}

int emz_mpi_broadcast_bytes(void *buffer, int count, int root) {
  return mpi.bcast(buffer, count, mpi.type_byte, root, mpi.comm_world);
}

int emz_mpi_finalize(void) {
  if (mpi.library == NULL || mpi.finalized) return 0;
  mpi.finalized = 1;
  return mpi.finalize();
}

// Shared constants of the kernels (not part of the public header).
#ifndef EMZ_INTERNAL_H
#define EMZ_INTERNAL_H

/// Rows per block in the blocked kernels: a block of d ≤ EMZ_MAX_BLOCK_DIM columns fits in L1.
#define EMZ_BLOCK 64
/// Wider data falls back to row-by-row loops.
#define EMZ_MAX_BLOCK_DIM 64

#endif

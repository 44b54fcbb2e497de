// How a scan is cut into blocks, time chunks and checkpoint segments. Forward and backward
// both derive their launch shapes and buffer sizes from this one function, so the saved
// buffer written by forward always matches what backward reads.
#pragma once

#include <algorithm>
#include <cstdint>

#include "portability.h"
#include "selective_scan.h"

namespace sscan {
namespace detail {

// Tile of time steps staged through shared memory: one warp-width, so a warp's 32 (64) lanes
// read one row of 32 (64) consecutive steps and the per-channel sums are one warp reduce.
constexpr int kTile = kWarpSize;
// Forward saves the state h every kSegLen steps (the "checkpoints" backward restarts from):
// saved bytes are N*4/kSegLen per (batch, channel, step), 1/8 of an f32 input when N = 16.
constexpr int kSegTiles = 4;
constexpr int kSegLen = kTile * kSegTiles;
// Enough resident threads to hide the recurrence latency; below this many, time is split
// into chunks that run in parallel (with a carry pass between them).
constexpr int64_t kTargetThreads = int64_t(132) * 1024;
// Tuning knobs for the lab (dev/scan_lab.cu sweeps them); the addon never changes them.
// Changing one between computing buffer sizes and launching is not supported.
inline int64_t g_fwd_target_threads = kTargetThreads;
inline int64_t g_bwd_target_threads = kTargetThreads;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Plan {
  int ns;           // states per thread (template parameter of the kernels): 4 or 16
  int k;            // warps per block, each warp one slice of ns states for 32 (64) channels
  int npad;         // k * ns >= dstate; states past dstate are zero and cost only wasted exps
  int cw;           // 2 for complex (re, im) else 1
  int64_t dpg;      // channels per group
  int64_t ncb;      // channel blocks per group (a block owns kWarpSize channels of one group)
  int64_t nseg;     // checkpoint segments
  int64_t nchunk;   // forward time chunks
  int64_t chunk_segs;
  int64_t nbchunk;  // backward time chunks
  int64_t bchunk_segs;
};

inline Plan make_plan(const ScanShape& s, bool is_complex, bool chunked_fwd) {
  Plan p;
  p.ns = s.dstate <= 64 ? 4 : 16;
  p.k = int(ceil_div(s.dstate, p.ns));
  p.npad = p.k * p.ns;
  p.cw = is_complex ? 2 : 1;
  p.dpg = s.dim / s.groups;
  p.ncb = ceil_div(p.dpg, kWarpSize);
  p.nseg = ceil_div(s.seqlen, kSegLen);
  const int64_t threads = s.batch * s.groups * p.ncb * kWarpSize * p.k;
  const int64_t want_f = std::max<int64_t>(1, ceil_div(g_fwd_target_threads, threads));
  const int64_t want_b = std::max<int64_t>(1, ceil_div(g_bwd_target_threads, threads));
  int64_t nchunk = chunked_fwd ? std::min(want_f, p.nseg) : 1;
  p.chunk_segs = ceil_div(p.nseg, nchunk);
  p.nchunk = ceil_div(p.nseg, p.chunk_segs);
  int64_t nb = std::min(want_b, p.nseg);
  p.bchunk_segs = ceil_div(p.nseg, nb);
  p.nbchunk = ceil_div(p.nseg, p.bchunk_segs);
  return p;
}

// Saved-buffer layout (floats): checkpoints ck[b][d][seg][npad*cw] then sdt[b][d][nseg]
// (per-chunk sums of dt, scratch of the forward carry pass). 256-byte aligned pieces.
inline size_t align256(size_t x) { return (x + 255) & ~size_t(255); }
inline size_t ck_floats(const ScanShape& s, const Plan& p) {
  return size_t(s.batch) * s.dim * p.nseg * p.npad * p.cw;
}
inline size_t saved_bytes(const ScanShape& s, const Plan& p) {
  return align256(ck_floats(s, p) * 4) + align256(size_t(s.batch) * s.dim * p.nseg * 4);
}

}  // namespace detail
}  // namespace sscan

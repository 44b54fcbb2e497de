// How a scan is cut into blocks, time chunks and checkpoint segments. Forward and backward
// both derive their launch shapes and buffer sizes from this one function, so the saved
// buffer written by forward always matches what backward reads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "portability.h"
#include "scan_limits.h"
#include "selective_scan.h"

namespace sscan {
namespace detail {

// Time steps per staged tile, for warp width w. On NVIDIA (and RDNA) one tile is one warp
// width: a warp reads one row of 32 consecutive steps, and the per-channel sums are one warp
// reduce. 64-wide AMD wavefronts stage 16-step tiles instead, 4 rows per wavefront read: with
// 64-step tiles the forward's staged arrays alone need ~110 KB and the backward's >= 150 KB at
// dstate 16, and an AMD workgroup has 64 KiB of LDS. (16 and not 32: the backward stages
// 8 arrays of [64 channels][tile + 1] floats, 68 KB at 32 steps.)
SSCAN_HD constexpr int tile_for_warp(int w) { return w >= 64 ? 16 : w; }
// Device code: the tile of the target being compiled (kWarpSize is per target under HIP).
constexpr int kTile = tile_for_warp(kWarpSize);
static_assert(kWarpSize % kTile == 0, "a warp reads whole rows of a tile");
// The backward's sub-tiles have kWarpSize / (NS * CW) <= kWarpSize / 4 steps: one tile holds one.
static_assert(kWarpSize / 4 <= kTile, "a backward sub-tile fits in a tile");
// Forward saves the state h every kSegLen steps (the "checkpoints" backward restarts from):
// saved bytes are N*4/kSegLen per (batch, channel, step), 1/8 of an f32 input when N = 16
// (32-wide warps; 64-wide ones save twice as often).
constexpr int kSegTiles = 4;
constexpr int kSegLen = kTile * kSegTiles;
// The forward and lambda kernels' __launch_bounds__, and the backward's largest.
constexpr int kMaxBlockThreads = 512;
// Enough resident threads to hide the recurrence latency; below this many, time is split
// into chunks that run in parallel (with a carry pass between them).
constexpr int64_t kTargetThreads = int64_t(132) * 1024;
// Tuning knobs for the lab (dev/scan_lab.cu sweeps them); the addon never changes them.
// Changing one between computing buffer sizes and launching is not supported.
inline int64_t g_fwd_target_threads = kTargetThreads;
inline int64_t g_bwd_target_threads = kTargetThreads;
// Real A on 32-wide warps runs the lean real-A kernels (selective_scan_{fwd,bwd}_real.cu);
// false sends every shape to the general kernels (the lab times both).
inline bool g_real_kernels = true;
// The real-A forward's channels per block where it runs one state per thread: 0 chooses by the
// device's multiprocessor count (fwd_block_channels), 8 or 16 force one. Per thread: the lab's
// checks force it per case while they run cases on several threads.
inline thread_local int g_fwd_cb = 0;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Plan {
  // The device, read at run time (scan_limits.h): host code sizes launches, tiles and shared
  // memory from these, never from kWarpSize/kTile (device-side constants, per GPU target).
  DeviceLimits lim;
  int warp;         // lanes per warp: channels per block
  int tile;         // time steps per staged tile, tile_for_warp(warp)
  int64_t seg_len;  // steps per checkpoint segment, tile * kSegTiles
  int64_t dstate;
  int ns;           // states per thread (template parameter of the kernels): 4 or 16
  int fwd_ns;       // the real-A forward's states per thread: ns, or 1 (see make_plan)
  int fwd_cb;       // the real-A forward's channels per block: warp, or 16 or 8 where fwd_ns == 1
  int k;            // warps per block, each warp one slice of ns states for `warp` channels
  int npad;         // k * ns >= dstate; states past dstate are zero and cost only wasted exps
  int cw;           // 2 for complex (re, im) else 1
  int64_t dpg;      // channels per group
  int64_t ncb;      // channel blocks per group (a block owns `warp` channels of one group)
  int64_t nseg;     // checkpoint segments
  int64_t nchunk;   // forward time chunks
  int64_t chunk_segs;
  int64_t nbchunk;  // backward time chunks
  int64_t bchunk_segs;
};

// Dynamic shared memory per block of the forward and backward main kernels, defined next to
// each kernel's shared-memory layout (selective_scan_fwd.cu, selective_scan_bwd.cu).
size_t fwd_smem_bytes(const Plan& pl);
size_t bwd_smem_bytes(const Plan& pl);
// Success if a block of `threads` threads using `smem` bytes fits the device and the kernel's
// launch bound `thread_bound`; else sscanErrorLaunchOutOfResources, with a message naming op,
// kernel, the needed and the available resources (selective_scan_error_detail). Every scan
// launcher calls it first: a launch that cannot fit is refused, never attempted.
sscanError_t check_launch(const Plan& pl, const char* op, const char* kernel, size_t smem, int threads,
                          int thread_bound);

// Opts kernel Kern into dynamic shared memory beyond 48 KB, up to the device's limit, once per
// device and kernel: a driver call per launch cost microseconds, which short sequences notice.
template <auto Kern>
sscanError_t allow_dynamic_smem(size_t smem, const Plan& pl) {
  if (smem <= 48 * 1024) return sscanSuccess;
  static std::atomic<uint64_t> done{0};  // bit d: device d done
  const uint64_t bit = pl.lim.device >= 0 && pl.lim.device < 64 ? uint64_t(1) << pl.lim.device : 0;
  if (bit && (done.load(std::memory_order_acquire) & bit)) return sscanSuccess;
  const sscanError_t e = sscanFuncSetMaxDynamicSmem(Kern, int(pl.lim.smem_per_block));
  if (e == sscanSuccess) done.fetch_or(bit, std::memory_order_release);
  return e;
}

inline void set_states(Plan& p, int ns) {
  p.ns = ns;
  p.k = int(ceil_div(p.dstate, p.ns));
  p.npad = p.k * p.ns;
}
inline bool block_fits(const Plan& p) {
  const int threads = p.k * p.warp;
  return threads <= std::min(kMaxBlockThreads, p.lim.max_threads) && fwd_smem_bytes(p) <= p.lim.smem_per_block &&
         bwd_smem_bytes(p) <= p.lim.smem_per_block;
}

// Channels per block of the real-A forward with one state per thread (16 or 8; a warp then
// holds 32 / cb state slices of cb channels): the fewest channels on the busiest
// multiprocessor, ties to the wider block. Such launches are small by definition (Plan::fwd_ns),
// and with 32 channels per block they left most of the GPU idle: (1,1536,128,16) filled 48 of
// the H200's 132 SMs (docs/perf-notes.md, v3.5).
// runs: (batch, group, time chunk) triples, each of dpg channels.
inline int fwd_block_channels(int64_t runs, int64_t dpg, int sms) {
  if (g_fwd_cb == 8 || g_fwd_cb == 16) return g_fwd_cb;
  int best = 16;
  int64_t best_load = 0;
  for (int cb : {16, 8}) {
    const int64_t blocks = runs * ceil_div(dpg, cb);
    const int64_t load = ceil_div(blocks, std::max(sms, 1)) * cb;
    if (cb == 16 || load < best_load) best = cb, best_load = load;
  }
  return best;
}

inline Plan make_plan(const ScanShape& s, bool is_complex, bool chunked_fwd, const DeviceLimits& lim) {
  Plan p;
  p.lim = lim;
  p.warp = lim.warp;
  p.tile = tile_for_warp(p.warp);
  p.seg_len = int64_t(p.tile) * kSegTiles;
  p.dstate = s.dstate;
  p.cw = is_complex ? 2 : 1;
  // 4 states per thread where the blocks fit the device (always on NVIDIA's 227 KB for
  // dstate <= 64); else 16, which needs a quarter of the warps and of the backward's partials
  // (64-wide AMD wavefronts from dstate 16, 32-wide ones from dstate 64: 64 KiB of LDS).
  set_states(p, 4);
  if (s.dstate > 64 || !block_fits(p)) set_states(p, 16);
  p.dpg = s.dim / s.groups;
  p.ncb = ceil_div(p.dpg, p.warp);
  p.nseg = ceil_div(s.seqlen, p.seg_len);
  const int64_t threads = s.batch * s.groups * p.ncb * p.warp * p.k;
  // The forward's chunking repeats the whole recurrence (its LOCAL pass), so it only pays when
  // the unchunked launch would leave the GPU nearly empty: below a quarter of the target (the
  // lab's policy sweep on the H200, docs/perf-notes.md v2). The backward chunks below the target.
  const int64_t want_f = threads * 4 >= g_fwd_target_threads
                             ? 1
                             : std::max<int64_t>(1, ceil_div(g_fwd_target_threads, threads));
  // The real-A backward in blocks of <= 4 warps (dstate <= 16) runs 3 blocks per SM, and its
  // chunking adds a lambda pass: one wave of those blocks beat 3 chunks by 20 % at
  // (8,1536,2048,16) (lab sweep, v3); larger blocks (1 per SM at dstate 64) gain from the
  // extra waves that chunking gives (docs/perf-notes.md, v3).
  const bool lean_bwd = !is_complex && p.warp == 32 && p.ns == 4 && p.k * p.warp <= 128;
  const int64_t want_b = lean_bwd && threads * 4 >= g_bwd_target_threads
                             ? 1
                             : std::max<int64_t>(1, ceil_div(g_bwd_target_threads, threads));
  int64_t nchunk = chunked_fwd ? std::min(want_f, p.nseg) : 1;
  p.chunk_segs = ceil_div(p.nseg, nchunk);
  p.nchunk = ceil_div(p.nseg, p.chunk_segs);
  // A real-A forward left with too little parallel work even after time chunking (few
  // channels and a short sequence: fewer segments than wanted chunks) runs one state per
  // thread, 4x the warps (same npad, so the checkpoints are the ones the backward expects).
  // Not where chunks alone reach a quarter of the target: 4x the warps of a chunked scan made
  // (1,2048,16384,16) twice as slow (lab, v3.2).
  p.fwd_ns = p.ns;
  p.fwd_cb = p.warp;
  if (!is_complex && p.warp == 32 && p.ns == 4 && p.npad <= 16 && threads * p.nchunk * 4 < g_fwd_target_threads) {
    p.fwd_ns = 1;
    p.fwd_cb = fwd_block_channels(s.batch * s.groups * p.nchunk, p.dpg, lim.sms);
  }
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

// Checks the model-op kernels (csrc/ops/*.cu) on the CPU emulator against plain host loops
// written here, with fresh random inputs (seed printed; rerun with OPS_SEED=<n>). Indexing,
// broadcast/permuted strides, chunked reductions, dtype conversions, run-to-run bits.
// Build and run (from packages/kernels-cuda/dev):  make ops-emu && build/ops_emu
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>
#include <vector>

#include "../csrc/ops/ops_device.cuh"

using namespace sscan;
using namespace sscan::ops;

static std::mt19937_64 rng;
static int failures = 0, checks = 0;
static double uni(double lo = -1, double hi = 1) {
  return lo + (hi - lo) * std::uniform_real_distribution<double>(0, 1)(rng);
}
static int64_t irand(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

static void expect_close(const char* what, double got, double want, double tol) {
  ++checks;
  const bool ok = (std::isnan(want) && std::isnan(got)) || std::fabs(got - want) <= tol * (1 + std::fabs(want));
  if (!ok && failures++ < 20) fprintf(stderr, "FAIL %s: got %.17g want %.17g\n", what, got, want);
}
static void expect(const char* what, bool ok) {
  ++checks;
  if (!ok && failures++ < 20) fprintf(stderr, "FAIL %s\n", what);
}

// A tensor over its own host buffer (the emulator's "device" memory is host memory).
struct Buf {
  std::vector<double> d;  // float64 storage; float32 tensors use f below
  std::vector<float> f;
  Tensor t;
};
static Tensor make(Buf& b, ElemType dt, std::vector<int64_t> shape, std::vector<int64_t> strides = {},
                   int64_t offset = 0) {
  Tensor t;
  t.dtype = dt;
  t.rank = int(shape.size());
  int64_t span = 1, s = 1;
  for (int i = t.rank - 1; i >= 0; --i) {
    t.shape[i] = shape[i];
    t.strides[i] = strides.empty() ? s : strides[i];
    s *= shape[i];
    span += (shape[i] - 1) * t.strides[i];
  }
  const size_t n = size_t(offset + span);
  if (dt == ElemType::Float64) {
    b.d.resize(n);
    for (auto& v : b.d) v = uni();
    t.data = b.d.data() + offset;
  } else {
    b.f.resize(n);
    for (auto& v : b.f) v = float(uni());
    t.data = b.f.data() + offset;
  }
  b.t = t;
  return t;
}
static double at(const Tensor& t, int64_t off) {
  return t.dtype == ElemType::Float64 ? static_cast<double*>(t.data)[off] : static_cast<float*>(t.data)[off];
}
static void set(const Tensor& t, int64_t off, double v) {
  if (t.dtype == ElemType::Float64) static_cast<double*>(t.data)[off] = v;
  else static_cast<float*>(t.data)[off] = float(v);
}
static int64_t offset_of(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int d = t.rank - 1; d >= 0; --d) {
    off += (i % t.shape[d]) * t.strides[d];
    i /= t.shape[d];
  }
  return off;
}
static std::vector<int64_t> random_shape(int rank, int64_t hi) {
  std::vector<int64_t> s(rank);
  for (auto& x : s) x = irand(1, hi);
  return s;
}
// Strides of a random permutation of the axes' layout, with gaps.
static std::vector<int64_t> permuted_strides(const std::vector<int64_t>& shape) {
  std::vector<int> perm(shape.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = int(i);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<int64_t> st(shape.size());
  int64_t s = irand(1, 2);
  for (int i = int(perm.size()) - 1; i >= 0; --i) {
    st[perm[i]] = s;
    s *= shape[perm[i]] + irand(0, 1);
  }
  return st;
}
static double tol_of(ElemType dt) { return dt == ElemType::Float64 ? 1e-12 : 1e-6; }

static void check_binary(ElemType dt) {
  const int rank = int(irand(1, 4));
  auto shape = random_shape(rank, 7);
  auto sa = permuted_strides(shape), sb = permuted_strides(shape);
  for (int d = 0; d < rank; ++d) if (irand(0, 2) == 0) sb[d] = 0;  // broadcast axes
  Buf A, B, O;
  Tensor a = make(A, dt, shape, sa, irand(0, 3)), b = make(B, dt, shape, sb, irand(0, 3)), o = make(O, dt, shape);
  const bool contig = irand(0, 3) == 0;
  if (contig) { a = make(A, dt, shape); b = make(B, dt, shape); }
  for (int op = 0; op < 4; ++op) {
    binary(BinaryOp(op), a, b, o, nullptr);
    for (int64_t i = 0; i < o.numel(); ++i) {
      const double x = at(a, offset_of(a, i)), y = at(b, offset_of(b, i));
      const double want = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
      expect_close("binary", at(o, i), want, tol_of(dt));
    }
  }
}

static void check_unary(ElemType dt) {
  Buf X, XA, G, O;
  const int64_t n = irand(1, 700);
  Tensor x = make(X, dt, {n}), xa = make(XA, dt, {n}), g = make(G, dt, {n}), o = make(O, dt, {n});
  for (int64_t i = 0; i < n; ++i) {
    set(x, i, uni(-30, 30));
    set(xa, i, std::fabs(at(x, i)) + 1e-3);  // log's domain
  }
  for (int op = 0; op < 6; ++op) {
    const Tensor& in = op == 2 ? xa : x;
    unary(UnaryOp(op), in, o, nullptr);
    for (int64_t i = 0; i < n; ++i) {
      const double v = at(in, i), s = 1 / (1 + std::exp(-v));
      const double want = op == 0 ? -v : op == 1 ? std::exp(v) : op == 2 ? std::log(v) : op == 3 ? s
                          : op == 4 ? v * s : (v > 20 ? v : std::log(1 + std::exp(v)));
      expect_close("unary", at(o, i), want, tol_of(dt) * 10);
    }
    unary_grad(UnaryOp(op), in, g, o, nullptr);
    for (int64_t i = 0; i < n; ++i) {
      const double v = at(in, i), dy = at(g, i), s = 1 / (1 + std::exp(-v));
      const double want = op == 0 ? -dy : op == 1 ? dy * std::exp(v) : op == 2 ? dy / v : op == 3 ? dy * s * (1 - s)
                          : op == 4 ? dy * (s + v * s * (1 - s)) : (v > 20 ? dy : dy * s);
      expect_close("unary_grad", at(o, i), want, tol_of(dt) * 10);
    }
  }
}

// The nearest half to x (ties to even), by brute force over the neighbours of a first guess.
static uint16_t nearest_half(double x) {
  if (std::isnan(x)) return 0x7e00;
  const uint16_t s = std::signbit(x) ? 0x8000 : 0;
  const double a = std::fabs(x);
  if (a >= 65520) return s | 0x7c00;
  uint16_t best = 0;
  double bd = INFINITY;
  const uint16_t guess = float_to_f16(float(a)) & 0x7fff;
  for (int h = std::max(0, guess - 2); h <= std::min(0x7bff, guess + 2); ++h) {
    const double d = std::fabs(double(f16_to_float(uint16_t(h))) - a);
    if (d < bd || (d == bd && (h & 1) == 0)) { bd = d; best = uint16_t(h); }
  }
  return s | best;
}

static void check_conversions() {
  for (int i = 0; i < 200000; ++i) {
    const int kind = int(irand(0, 3));
    double x = kind == 0 ? uni(-70000, 70000) : kind == 1 ? uni(-1, 1) * std::ldexp(1.0, int(irand(-26, -12)))
               : kind == 2 ? uni(-2, 2) : double(f16_to_float(uint16_t(irand(0, 0x7bff)))) + std::ldexp(1.0, -25) * irand(-1, 1);
    const uint16_t got = double_to_f16(x), want = nearest_half(x);
    if (got != want) {
      if (failures++ < 20) fprintf(stderr, "FAIL double_to_f16(%.17g) = %04x, want %04x\n", x, got, want);
    }
    ++checks;
  }
}

template <class S, class D>
static void copy_case(ElemType st, ElemType dtp) {
  const int rank = int(irand(1, 5));
  auto shape = random_shape(rank, 5);
  auto ss = permuted_strides(shape), ds = permuted_strides(shape);
  for (int d = 0; d < rank; ++d) if (irand(0, 3) == 0) ss[d] = 0;
  int64_t sspan = 1, dspan = 1;
  for (int d = 0; d < rank; ++d) { sspan += (shape[d] - 1) * ss[d]; dspan += (shape[d] - 1) * ds[d]; }
  const int64_t so = irand(0, 3), doff = irand(0, 3);
  std::vector<typename Elem<S>::Storage> src(size_t(so + sspan));
  std::vector<typename Elem<D>::Storage> dst(size_t(doff + dspan));
  for (size_t i = 0; i < src.size(); ++i) Elem<S>::store(src.data(), int64_t(i), uni(-3, 3));
  Tensor a, b;
  a.dtype = st; b.dtype = dtp; a.rank = b.rank = rank;
  for (int d = 0; d < rank; ++d) { a.shape[d] = b.shape[d] = shape[d]; a.strides[d] = ss[d]; b.strides[d] = ds[d]; }
  a.data = src.data() + so;
  b.data = dst.data() + doff;
  strided_copy(a, b, nullptr);
  for (int64_t i = 0; i < b.numel(); ++i) {
    const double v = Elem<S>::load(src.data() + so, offset_of(a, i));
    typename Elem<D>::Storage want[1];
    Elem<D>::store(want, 0, v);
    expect("strided_copy", std::memcmp(want, dst.data() + doff + offset_of(b, i), sizeof want) == 0);
  }
}
template <class S>
static void copy_from(ElemType st) {
  copy_case<S, float>(st, ElemType::Float32);
  copy_case<S, double>(st, ElemType::Float64);
  copy_case<S, Half>(st, ElemType::Float16);
  copy_case<S, BFloat16>(st, ElemType::BFloat16);
}

static void check_sum(ElemType dt, int64_t hi) {
  const int rank = int(irand(1, 4));
  auto shape = random_shape(rank, hi);
  uint32_t mask = uint32_t(irand(1, (1 << rank) - 1));
  Buf X, O;
  Tensor x = make(X, dt, shape);
  std::vector<int64_t> oshape(shape);
  for (int d = 0; d < rank; ++d) if ((mask >> d) & 1) oshape[d] = 1;
  Tensor o = make(O, dt, oshape);
  std::vector<double> ws(sum_workspace_bytes(x, mask) / 8 + 1);
  std::vector<double> want(size_t(o.numel()), 0.0);
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t oi = 0, rem = i, mul = 1;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t c = rem % shape[d];
      rem /= shape[d];
      if (!((mask >> d) & 1)) { oi += c * mul; mul *= shape[d]; }
    }
    want[size_t(oi)] += at(x, i);
  }
  sum(x, mask, o, ws.data(), nullptr);
  std::vector<double> first(size_t(o.numel()));
  for (int64_t i = 0; i < o.numel(); ++i) { first[size_t(i)] = at(o, i); expect_close("sum", at(o, i), want[size_t(i)], tol_of(dt) * 10); }
  sum(x, mask, o, ws.data(), nullptr);
  for (int64_t i = 0; i < o.numel(); ++i) expect("sum: same bits twice", first[size_t(i)] == at(o, i));
}

void check_models(ElemType dt);  // ops_emu_models.inc

int main() {
  const uint64_t seed = getenv("OPS_SEED") ? strtoull(getenv("OPS_SEED"), nullptr, 10) : uint64_t(time(nullptr));
  printf("ops_emu: seed %llu (rerun with OPS_SEED=%llu)\n", (unsigned long long)seed, (unsigned long long)seed);
  rng.seed(seed);
  check_conversions();
  for (ElemType dt : {ElemType::Float64, ElemType::Float32}) {
    for (int i = 0; i < 12; ++i) check_binary(dt);
    check_unary(dt);
    for (int i = 0; i < 8; ++i) check_sum(dt, 6);
    for (int i = 0; i < 3; ++i) check_sum(dt, 40);
    check_models(dt);
  }
  for (int i = 0; i < 4; ++i) {
    copy_from<float>(ElemType::Float32);
    copy_from<double>(ElemType::Float64);
    copy_from<Half>(ElemType::Float16);
    copy_from<BFloat16>(ElemType::BFloat16);
  }
  printf("ops_emu: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}

#include "ops_emu_models.inc"

// CPU float64 reference twin of the selective scan, written straight from DESIGN.md and
// independent of the kernels (no shared headers): selective_scan_fwd_cpu, selective_scan_bwd_cpu.
// The backward is hand-derived (PyTorch complex convention: dL/dRe + i dL/dIm) and checked
// against central finite differences of the forward by fd_check_cpu().
#pragma once

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

namespace lab {

using cd = std::complex<double>;

// All tensors as double; complex ones as cd. Layouts follow selective_scan.h.
struct RefProblem {
  int64_t b, dim, L, N, groups;
  bool cplx, varB, varC, softplus;
  std::vector<double> u, delta, z, D, bias;  // z, D, bias empty when absent
  std::vector<cd> A, B, C, init;             // init empty when absent; B/C var (b,g,N,L) or (dim,N)
};
struct RefOut {
  std::vector<double> out;
  std::vector<cd> last;
};
struct RefGrad {
  std::vector<double> du, ddelta, dz, dD, dbias;
  std::vector<cd> dA, dB, dC, dinit;
};

inline double softplus(double x) { return x <= 20 ? std::log1p(std::exp(x)) : x; }
inline double sigm(double x) { return 1 / (1 + std::exp(-x)); }

inline cd Bval(const RefProblem& p, const std::vector<cd>& X, bool var, int64_t b, int64_t d, int64_t n, int64_t t) {
  if (!var) return X[d * p.N + n];
  const int64_t g = d / (p.dim / p.groups);
  return X[((b * p.groups + g) * p.N + n) * p.L + t];
}
inline double dt_of(const RefProblem& p, int64_t i, int64_t d) {
  double x = p.delta[i] + (p.bias.empty() ? 0.0 : p.bias[d]);
  return p.softplus ? softplus(x) : x;
}

// Forward for channels [d_lo, d_hi) of batch row(s) [b_lo, b_hi) (all by default).
inline void selective_scan_fwd_cpu(const RefProblem& p, RefOut& r, int64_t b_lo = 0, int64_t b_hi = -1,
                                   int64_t d_lo = 0, int64_t d_hi = -1) {
  if (b_hi < 0) b_hi = p.b;
  if (d_hi < 0) d_hi = p.dim;
  r.out.assign(p.b * p.dim * p.L, 0.0);
  r.last.assign(p.b * p.dim * p.N, cd(0));
  const double fac = p.cplx ? 2.0 : 1.0;
  std::vector<cd> h(p.N);
  for (int64_t b = b_lo; b < b_hi; ++b)
    for (int64_t d = d_lo; d < d_hi; ++d) {
      for (int64_t n = 0; n < p.N; ++n) h[n] = p.init.empty() ? cd(0) : p.init[(b * p.dim + d) * p.N + n];
      for (int64_t t = 0; t < p.L; ++t) {
        const int64_t i = (b * p.dim + d) * p.L + t;
        const double dt = dt_of(p, i, d), u = p.u[i];
        cd y = 0;
        for (int64_t n = 0; n < p.N; ++n) {
          h[n] = std::exp(dt * p.A[d * p.N + n]) * h[n] + dt * Bval(p, p.B, p.varB, b, d, n, t) * u;
          y += Bval(p, p.C, p.varC, b, d, n, t) * h[n];
        }
        double o = fac * y.real() + (p.D.empty() ? 0.0 : p.D[d] * u);
        if (!p.z.empty()) o *= p.z[i] * sigm(p.z[i]);
        r.out[i] = o;
      }
      for (int64_t n = 0; n < p.N; ++n) r.last[(b * p.dim + d) * p.N + n] = h[n];
    }
}

// Backward: dout (b,dim,L) and optional dlast (b,dim,N).
inline void selective_scan_bwd_cpu(const RefProblem& p, const std::vector<double>& dout,
                                   const std::vector<cd>& dlast, RefGrad& g) {
  const int64_t BDL = p.b * p.dim * p.L;
  g.du.assign(BDL, 0);
  g.ddelta.assign(BDL, 0);
  g.dz.assign(p.z.empty() ? 0 : BDL, 0);
  g.dD.assign(p.dim, 0);
  g.dbias.assign(p.dim, 0);
  g.dA.assign(p.dim * p.N, 0);
  g.dB.assign(p.B.size(), 0);
  g.dC.assign(p.C.size(), 0);
  g.dinit.assign(p.b * p.dim * p.N, 0);
  const double fac = p.cplx ? 2.0 : 1.0;
  std::vector<cd> H((p.L + 1) * p.N), lam(p.N);
  auto gB = [&](std::vector<cd>& G, bool var, int64_t b, int64_t d, int64_t n, int64_t t) -> cd& {
    if (!var) return G[d * p.N + n];
    return G[((b * p.groups + d / (p.dim / p.groups)) * p.N + n) * p.L + t];
  };
  for (int64_t b = 0; b < p.b; ++b)
    for (int64_t d = 0; d < p.dim; ++d) {
      for (int64_t n = 0; n < p.N; ++n) H[n] = p.init.empty() ? cd(0) : p.init[(b * p.dim + d) * p.N + n];
      for (int64_t t = 0; t < p.L; ++t) {
        const int64_t i = (b * p.dim + d) * p.L + t;
        const double dt = dt_of(p, i, d);
        for (int64_t n = 0; n < p.N; ++n)
          H[(t + 1) * p.N + n] = std::exp(dt * p.A[d * p.N + n]) * H[t * p.N + n] + dt * Bval(p, p.B, p.varB, b, d, n, t) * p.u[i];
      }
      for (int64_t n = 0; n < p.N; ++n) lam[n] = dlast.empty() ? cd(0) : dlast[(b * p.dim + d) * p.N + n];
      for (int64_t t = p.L - 1; t >= 0; --t) {
        const int64_t i = (b * p.dim + d) * p.L + t;
        const double x = p.delta[i] + (p.bias.empty() ? 0.0 : p.bias[d]);
        const double dt = dt_of(p, i, d), u = p.u[i];
        cd y = 0;
        for (int64_t n = 0; n < p.N; ++n) y += Bval(p, p.C, p.varC, b, d, n, t) * H[(t + 1) * p.N + n];
        const double Dd = p.D.empty() ? 0.0 : p.D[d];
        const double pre = fac * y.real() + Dd * u;
        double dpre = dout[i];
        if (!p.z.empty()) {
          const double z = p.z[i], s = sigm(z);
          g.dz[i] = dout[i] * pre * s * (1 + z * (1 - s));
          dpre = dout[i] * z * s;
        }
        g.dD[d] += dpre * u;
        const double dy = dpre;
        double dusum = 0, ddt = 0;
        for (int64_t n = 0; n < p.N; ++n) {
          const cd A = p.A[d * p.N + n], a = std::exp(dt * A), Bn = Bval(p, p.B, p.varB, b, d, n, t);
          const cd Cn = Bval(p, p.C, p.varC, b, d, n, t), hp = H[t * p.N + n], ht = H[(t + 1) * p.N + n];
          const cd l = lam[n] + fac * dy * std::conj(Cn);
          gB(g.dC, p.varC, b, d, n, t) += fac * dy * std::conj(ht);
          gB(g.dB, p.varB, b, d, n, t) += l * dt * u;
          dusum += (l * std::conj(Bn)).real();
          ddt += (l * std::conj(A * a * hp + Bn * u)).real();
          g.dA[d * p.N + n] += dt * l * std::conj(a * hp);
          lam[n] = std::conj(a) * l;
        }
        g.du[i] = dt * dusum + Dd * dpre;
        const double dd = ddt * (p.softplus ? (x <= 20 ? sigm(x) : 1.0) : 1.0);
        g.ddelta[i] = dd;
        g.dbias[d] += dd;
      }
      for (int64_t n = 0; n < p.N; ++n) g.dinit[(b * p.dim + d) * p.N + n] = lam[n];
    }
  if (!p.cplx) {  // real problem: imaginary parts are not parameters
    for (auto* v : {&g.dA, &g.dB, &g.dC, &g.dinit})
      for (auto& c : *v) c = cd(c.real(), 0);
  }
}

// Central finite differences of L = sum(out*w) + Re sum(conj(wl)*last) against the twin's
// backward, every input element (re and im). Returns the max relative error.
inline double fd_check_cpu(bool cplx, bool varB, bool varC, bool softplus, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  std::uniform_real_distribution<double> ud(0, 1);
  RefProblem p;
  p.b = 2; p.dim = 4; p.L = 6; p.N = 3; p.groups = 2;
  p.cplx = cplx; p.varB = varB; p.varC = varC; p.softplus = softplus;
  const int64_t BDL = p.b * p.dim * p.L;
  for (int64_t i = 0; i < BDL; ++i) {
    p.u.push_back(nd(rng));
    p.delta.push_back(softplus ? -2 + ud(rng) : 0.05 + 0.2 * ud(rng));
    p.z.push_back(nd(rng));
  }
  for (int64_t d = 0; d < p.dim; ++d) { p.D.push_back(nd(rng)); p.bias.push_back(0.1 * nd(rng)); }
  auto cr = [&](double s) { return cd(s * nd(rng), cplx ? s * nd(rng) : 0.0); };
  for (int64_t i = 0; i < p.dim * p.N; ++i) p.A.push_back(cd(-0.5 - ud(rng), cplx ? 2 * nd(rng) : 0.0));
  const int64_t nb = varB ? p.b * p.groups * p.N * p.L : p.dim * p.N, nc = varC ? p.b * p.groups * p.N * p.L : p.dim * p.N;
  for (int64_t i = 0; i < nb; ++i) p.B.push_back(cr(1));
  for (int64_t i = 0; i < nc; ++i) p.C.push_back(cr(1));
  for (int64_t i = 0; i < p.b * p.dim * p.N; ++i) p.init.push_back(cr(0.5));
  std::vector<double> w(BDL);
  std::vector<cd> wl(p.b * p.dim * p.N);
  for (auto& x : w) x = nd(rng);
  for (auto& x : wl) x = cr(1);
  auto loss = [&](const RefProblem& q) {
    RefOut r;
    selective_scan_fwd_cpu(q, r);
    double s = 0;
    for (size_t i = 0; i < r.out.size(); ++i) s += r.out[i] * w[i];
    for (size_t i = 0; i < r.last.size(); ++i) s += (std::conj(wl[i]) * r.last[i]).real();
    return s;
  };
  RefGrad g;
  selective_scan_bwd_cpu(p, w, wl, g);
  double worst = 0;
  const double eps = 1e-6;
  auto chk = [&](double an, double num) {
    worst = std::max(worst, std::abs(an - num) / (1e-6 + std::abs(num)));
  };
  auto rfd = [&](std::vector<double>& v, const std::vector<double>& gv) {
    for (size_t i = 0; i < v.size(); ++i) {
      const double o = v[i];
      v[i] = o + eps; double lp = loss(p);
      v[i] = o - eps; double lm = loss(p);
      v[i] = o;
      chk(gv[i], (lp - lm) / (2 * eps));
    }
  };
  auto cfd = [&](std::vector<cd>& v, const std::vector<cd>& gv) {
    for (size_t i = 0; i < v.size(); ++i)
      for (int part = 0; part < (cplx ? 2 : 1); ++part) {
        const cd o = v[i], e = part ? cd(0, eps) : cd(eps, 0);
        v[i] = o + e; double lp = loss(p);
        v[i] = o - e; double lm = loss(p);
        v[i] = o;
        chk(part ? gv[i].imag() : gv[i].real(), (lp - lm) / (2 * eps));
      }
  };
  rfd(p.u, g.du); rfd(p.delta, g.ddelta); rfd(p.z, g.dz); rfd(p.D, g.dD); rfd(p.bias, g.dbias);
  cfd(p.A, g.dA); cfd(p.B, g.dB); cfd(p.C, g.dC); cfd(p.init, g.dinit);
  return worst;
}

}  // namespace lab

// The selective-scan math, written once for CUDA, HIP and native CPU code (__host__ __device__).
// DESIGN.md is the authority for the formulas; these are the pieces every backend shares:
// softplus and its derivative, the SiLU gate and its derivative, the complex product and the
// decay exp(dt*A), and one recurrence step h = a*h + dt*B*u.
#pragma once

#include <cmath>

#include "portability.h"

namespace sscan {

// log2(e): the kernels store A * log2(e) once so every decay is a single exp2 (MUFU ex2).
constexpr float kLog2e = 1.4426950408889634f;

// softplus(x) = log1p(exp(x)); above 20 it equals x to float precision and exp would only
// risk overflow, so the cut-off is part of the spec (DESIGN.md), not an optimisation.
template <class F> SSCAN_HD F softplus(F x) { return x <= F(20) ? log1p(exp(x)) : x; }
// d softplus / dx = sigmoid(x) below the cut-off, exactly 1 above it (dt = x there).
template <class F> SSCAN_HD F softplus_grad(F x) { return x <= F(20) ? F(1) / (F(1) + exp(-x)) : F(1); }

// The same derivative from dt = softplus(x) itself: sigmoid(x) = 1 - exp(-dt) = -expm1(-dt),
// exact to rounding on both sides of the cut-off (x > 20: dt = x, -expm1(-x) rounds to 1).
// Backward uses it so it need not reload delta.
template <class F> SSCAN_HD F softplus_grad_from_dt(F dt) { return -expm1(-dt); }

template <class F> SSCAN_HD F sigmoid(F x) { return F(1) / (F(1) + exp(-x)); }
// Gate: out = pre * silu(z), silu(z) = z * sigmoid(z).
template <class F> SSCAN_HD F silu(F z) { return z * sigmoid(z); }
// d silu / dz = s * (1 + z * (1 - s)), s = sigmoid(z).
template <class F> SSCAN_HD F silu_grad(F z) {
  F s = sigmoid(z);
  return s * (F(1) + z * (F(1) - s));
}

template <class F> struct Complex { F re, im; };
template <class F> SSCAN_HD Complex<F> cmul(Complex<F> a, Complex<F> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class F> SSCAN_HD Complex<F> conj(Complex<F> a) { return {a.re, -a.im}; }

// Decay a = exp(dt * A) for real A given as A*log2(e) (see kLog2e).
SSCAN_HD float decay_real(float dt, float a_log2) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return exp2f(dt * a_log2);
#else
  return std::exp2(dt * a_log2);
#endif
}
// Complex decay exp(dt * (ar + i ai)), ar given times log2(e). sincosf, not __sinf: dt*ai can
// be large (S4D-Lin puts ai = pi*n) and the fast intrinsic loses all accuracy there.
SSCAN_HD Complex<float> decay_complex(float dt, float ar_log2, float ai) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  float m = exp2f(dt * ar_log2), s, c;
  sincosf(dt * ai, &s, &c);
#else
  float m = std::exp2(dt * ar_log2), s = std::sin(dt * ai), c = std::cos(dt * ai);
#endif
  return {m * c, m * s};
}

// One recurrence step, h = a * h + x where x = dt * B * u.
template <class F> SSCAN_HD F scan_step(F a, F h, F x) { return a * h + x; }
template <class F> SSCAN_HD Complex<F> scan_step(Complex<F> a, Complex<F> h, Complex<F> x) {
  Complex<F> r = cmul(a, h);
  return {r.re + x.re, r.im + x.im};
}

}  // namespace sscan

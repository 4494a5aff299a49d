// Open (2026-12-03): random program, seed 6035 of tmp/robust-fuzz's generator (not kept).
// f3: fJvp and fVjp disagree in the dot-product test at some points (e.g. 5.57 against 0.71),
// at the session-start commit 2efac95 as well as at the end of the session; one more point
// disagrees at the end. Not reduced yet: helpers reading the same array twice (h1(res, res, …)),
// a helper writing res (h2), break and an early return inside nested loops, indices computed
// from values (Math.floor(Math.abs(res[…]) * 3) % n), stopGradient of res elements.

import { stopGradient } from '@adgen/runtime';

function h0(src: Float64Array, t: number, dst: Float64Array): void {
  dst[0] = Math.exp(-0.5 * (src[0] * t) * (src[0] * t));
  for (let q = 1; q < dst.length; q++) {
    dst[q] = Math.tanh(0.5 * dst[q - 1] * Math.max(t, src[q - 1]) + src[q % src.length]);
  }
}

/**
 * @differentiable
 * @wrt u, v, t
 */
export function h1(u: Float64Array, v: Float64Array, t: number, ii: number): number {
  let acc = t * v[ii];
  for (let q = 0; q < u.length; q++) {
    acc = 0.5 * acc + Math.tanh(0.5 * u[q] * -(u[u.length - 1 - ii]) + v[(q + ii) % v.length]);
  }
  return acc + -(t);
}

function h2(src: number[], t: number, dst: Float64Array): void {
  for (let q = 0; q < dst.length; q++) {
    dst[(q * 3) % dst.length] += Math.atan(src[q] * t + (((Math.max(src[(q + 1) % dst.length], t) < (src[(q * 5 + 2) % dst.length] + t)) && (stopGradient(t) >= q * 0.1)) ? src[(q * 5 + 2) % dst.length] : t));
  }
}

/**
 * @differentiable
 */
export function f0(x0: Float64Array): Float64Array {
  const n = x0.length;
  const res = new Float64Array(n);
  let k0 = 0;
  do {
    res[(k0 + 1) % n] = Math.sin(x0[k0]);
    k0++;
  } while (k0 < n);
  let s2 = 0.3;
  for (const v1 of res) {
    if (v1 > s2) s2 = 0.5 * s2 + Math.exp(-0.5 * (v1 * Math.sqrt(v1 * v1 + 1)) * (v1 * Math.sqrt(v1 * v1 + 1)));
    else s2 -= 0.3 * (v1) / (1 + (v1) * (v1));
  }
  if ((s2 > x0[1 % n] / (1 + x0[Math.floor(Math.abs(s2) * 3) % n] * x0[Math.floor(Math.abs(s2) * 3) % n]))) {
    s2 = Math.abs(s2 / (1 + res[0] * res[0]));
    let k3 = 0;
    while (k3 < n && (x0[1 % n] > Math.log(s2 * s2 + 1))) {
      s2 *= 0.9 + 0.2 * Math.tanh((h1(x0, x0, s2, k3) * -(s2)));
      const a4 = new Float64Array(n);
      for (let q5 = 0; q5 < n; q5++) {
        a4[q5] = Math.exp(Math.sin((Math.pow(1.5 + Math.sin(x0[(q5 * 5 + 2) % n]), Math.exp(-0.5 * (res[k3]) * (res[k3]))) + (!(((res[n - 1 - k3] + x0[0]) >= Math.log(res[n - 1 - q5] * res[n - 1 - q5] + 1))) ? s2 : res[n - 1 - k3]))));
      }
      if (((-(a4[n - 1 - k3]) >= s2) || (res[(k3 + 1) % n] <= (((s2 <= -(s2)) && (s2 > a4[k3])) ? s2 : s2)))) break;
      k3++;
    }
  } else {
    if ((Math.pow(1.5 + Math.sin(res[1 % n]), Math.sin(s2)) >= 0.2)) return res;
  }
  if (((x0[n - 1] * x0[n - 1]) <= 0.1 * s2)) return res;
  s2 = 0.5 * s2 + Math.cos(((x0[n - 1] + s2) * h1(res, x0, s2, 0)));
  s2 -= Math.exp(-0.5 * (Math.pow(1.5 + Math.sin(Math.atan(s2)), Math.exp(Math.sin((s2 * x0[1 % n]))))) * (Math.pow(1.5 + Math.sin(Math.atan(s2)), Math.exp(Math.sin((s2 * x0[1 % n]))))));
  let s6 = 0.7 * (s2 - res[0]);
  res[n - 1] = 0.5 * res[n - 1] + Math.tanh(h1(x0, x0, Math.abs(s2), 1 % n));
  h0(x0, -(h1(x0, x0, 0.7, 1 % n)), res);
  res[Math.floor(Math.abs(s6) * 3) % n] = 0.5 * res[Math.floor(Math.abs(s6) * 3) % n] + Math.cos(s2);
  for (let i = 0; i < n; i++) {
    res[i] += ((Math.exp(-0.5 * (i * 0.1) * (i * 0.1)) ** 2 >= x0[(i + 1) % n]) ? Math.pow(1.5 + Math.sin(s2), Math.atan(res[(i * 3) % n])) : (res[(i + 1) % n]) / (1 + (res[(i + 1) % n]) * (res[(i + 1) % n])));
  }
  return res;
}

/**
 * @differentiable
 */
export function f1(p0: number, p1: number, p2: number, x0: Float32Array, x1: Float64Array): [number, number] {
  const n = x0.length;
  const a0 = Float64Array.from(x1);
  for (let q1 = 0; q1 < n; q1++) {
    a0[q1] += Math.exp(Math.sin(Math.log(Math.cos(p2) * Math.cos(p2) + 1)));
  }
  let s2 = Math.abs(p2);
  const a3 = new Float64Array(n);
  for (let q4 = 0; q4 < n; q4++) {
    a3[q4] += Math.atan(-(-(a0[(q4 + 1) % n])));
  }
  if ((s2 < (p0 * s2))) return [1.2, Math.abs(((p0 > Math.max(p0, p1)) ? p2 : x1[Math.floor(Math.abs(x1[0]) * 3) % n]))];
  for (let i5 = 0; i5 < n && (p1 > -(x1[0])); i5++) {
    if ((Math.hypot(s2, a0[i5], 0.5) > Math.tanh(a0[i5]))) {
      let s6 = x0[n - 1 - i5];
      let b7 = 0;
      let m8 = a0[0];
      for (let i9 = 1; i9 < n; i9++) {
        if (a0[i9] > m8) {
          m8 = a0[i9];
          b7 = i9;
        }
      }
    }
    if ((h1(x1, x1, i5 * 0.1, (i5 * 5 + 2) % n) > 1)) return [Math.log(Math.log(p2 * p2 + 1) * Math.log(p2 * p2 + 1) + 1), Math.exp(Math.sin(Math.pow(1.5 + Math.sin(x1[i5]), Math.tanh(0.5 * a3[i5]))))];
    for (let i10 = n - 1; i10 >= 0; i10--) {
      let s11 = p0;
      let s12 = 1.2 * (i10 * 0.1 + a3[n - 1]);
      s12 = Math.sin(Math.abs(0.3 * a0[i10]));
    }
  }
  let s13 = Math.log(Math.max(0.3, s2) * Math.max(0.3, s2) + 1);
  if ((s13 / (1 + p2 * p2) >= s2)) {
    let k14 = 0;
    while (k14 < n) {
      const a15 = new Float64Array(n);
      for (let q16 = 0; q16 < n; q16++) {
        a15[q16] += Math.tanh((-(a0[(q16 * 5 + 2) % n]) + h1(a3, a3, p2, 0)));
      }
      k14++;
    }
  } else {
  }
  return [Math.abs(Math.exp(-0.5 * (x1[Math.floor(Math.abs(p2) * 3) % n]) * (x1[Math.floor(Math.abs(p2) * 3) % n]))), Math.min(-(p1), Math.abs(s13))];
}

/**
 * @differentiable
 */
export function f2(x0: Float64Array, x1: Float64Array, x2: Float64Array): number {
  const n = x0.length;
  const a0 = new Float64Array(x0);
  for (let q1 = 0; q1 < n; q1++) {
    a0[q1] += Math.tanh(Math.tanh(x0[(q1 * 3) % n] / (1 + x0[q1] * x0[q1])) ** 2);
  }
  if ((Math.pow(1.5 + Math.sin(x2[0]), Math.tanh(0.5 * 1.5)) >= -0.3)) {
    a0[1 % n] = Math.sin(h1(a0, x1, (((a0[0] * x1[Math.floor(Math.abs(x1[n - 1]) * 3) % n]) > ((((x2[1 % n] + x0[1 % n]) > 0) || (-(0.1) <= h1(a0, a0, x2[Math.floor(Math.abs(a0[0]) * 3) % n], 1 % n))) ? x2[n - 1] : 0.25)) ? x2[0] : x2[1 % n]), n - 1));
    const a2 = new Float32Array(n);
    for (let q3 = 0; q3 < n; q3++) {
      a2[q3] = Math.tanh(0.5 * (1.2 / (1 + x1[(q3 + 1) % n] * x1[(q3 + 1) % n]) + Math.sqrt(x0[q3] * x0[q3] + 1)));
    }
  } else {
    for (let i4 = 1; i4 < n; i4++) {
      if (a0[i4 - 1] > a0[i4]) {
        const t5 = a0[i4];
        a0[i4] = a0[i4 - 1];
        a0[i4 - 1] = t5;
      }
    }
  }
  for (let i6 = n - 1; i6 >= 0; i6--) {
    let s7 = Math.max(Math.sqrt(x1[(i6 * 3) % n] * x1[(i6 * 3) % n] + 1), Math.cos(x0[Math.floor(Math.abs(a0[n - 1 - i6]) * 3) % n]) ** 2);
    const s8 = s7;
    let s9 = h1(a0, a0, Math.max(s8, x2[Math.floor(Math.abs(s7) * 3) % n]), (i6 + 1) % n);
    s7 = 0.5 * s7 + Math.sin((Math.pow(1.5 + Math.sin(i6 * 0.1), Math.sin(s7)) * (s8 * s7)));
  }
  for (let i10 = 0; i10 < n && (h1(x2, x2, x1[0], 1 % n) < -0.3); i10++) {
  }
  return Math.hypot(Math.pow(1.5 + Math.sin(x0[n - 1]), Math.tanh(0.5 * x2[n - 1])), -(x2[1 % n]), 0.5);
}

/**
 * @differentiable
 */
export function f3(x0: number[]): Float64Array {
  const n = x0.length;
  const res = new Float64Array(n);
  res[n - 1] = 0.5 * res[n - 1] + Math.exp(Math.sin(0.1 * (x0[Math.floor(Math.abs(x0[1 % n]) * 3) % n] + x0[n - 1])));
  res[1 % n] = 0.5 * res[1 % n] + Math.exp(Math.sin(-(h1(res, res, x0[n - 1], 1 % n))));
  for (let i0 = 0; i0 < n; i0 += 2) {
    for (let i1 = 0; i1 <= i0; i1++) {
      if ((Math.max(res[i0], 0.1) <= Math.sin(x0[(i0 * 3) % n]) ** 2)) break;
      if (((-(res[(i0 + 1) % n]) >= x0[(i1 * 3) % n]) || ((0.7 + i1 * 0.1) <= -(res[(i1 * 3) % n])))) return res;
      res[(i0 + 1) % n] *= 0.9 + 0.1 * Math.cos(h1(res, res, 0.1 * x0[(i0 * i1) % n], (i1 * 3) % n));
      res[n - 1 - i0] *= 0.9 + 0.1 * Math.cos(res[(i1 * 3) % n]);
      h2(x0, Math.abs(Math.cos(x0[(i1 * 5 + 2) % n])), res);
      res[Math.floor(Math.abs(res[1 % n]) * 3) % n] = (((Math.sqrt(res[(i1 * i0) % n] * res[(i1 * i0) % n] + 1) > -(res[i1])) ? Math.abs(res[(i0 * 5 + 2) % n]) : res[i0])) / (1 + (((Math.sqrt(res[(i1 * i0) % n] * res[(i1 * i0) % n] + 1) > -(res[i1])) ? Math.abs(res[(i0 * 5 + 2) % n]) : res[i0])) * (((Math.sqrt(res[(i1 * i0) % n] * res[(i1 * i0) % n] + 1) > -(res[i1])) ? Math.abs(res[(i0 * 5 + 2) % n]) : res[i0])));
    }
  }
  let s2 = 0.3;
  res[Math.floor(Math.abs(res[Math.floor(Math.abs(s2) * 3) % n]) * 3) % n] = Math.tanh(0.5 * (Math.log(s2 * s2 + 1) + Math.log(res[n - 1] * res[n - 1] + 1)));
  const a3 = new Float32Array(n);
  for (let q4 = 0; q4 < n; q4++) {
    a3[q4] = Math.exp(Math.sin(-(s2)));
  }
  a3[1 % n] = 0.5 * a3[1 % n] + Math.sin(((res[1 % n] + s2) + (s2 - s2)));
  for (let i5 = 1; i5 < n; i5 += 2) {
    res[(i5 * 3) % n] = Math.tanh(s2);
    s2 = Math.tanh(0.5 * h1(res, res, i5 * 0.1, n - 1));
    let k6 = 0;
    while (k6 < n && (h1(res, res, x0[1 % n], (i5 * 3) % n) > s2)) {
      k6++;
    }
  }
  for (let i = 0; i < n; i++) {
    res[i] += Math.min(s2, s2) / (1 + stopGradient(res[(i * 5 + 2) % n]) * stopGradient(res[(i * 5 + 2) % n]));
  }
  return res;
}

/**
 * @differentiable
 * @out o
 */
export function f4(p0: number, p1: number, p2: number, x0: number[], x1: number[], o: Float64Array): void {
  const n = x0.length;
  let k0 = 0;
  while (k0 < n && (Math.log(p0 * p0 + 1) > x0[Math.floor(Math.abs(p1) * 3) % n])) {
    p0 /= 1 + (x0[k0] + p2) * (x0[k0] + p2);
    if (((x0[(k0 + 1) % n] * p2) <= 0.8)) break;
    k0++;
  }
  for (let i1 = 0; i1 < n; i1++) {
    if ((i1 * 0.1 < p2)) return;
    const a2: number[] = new Array(n).fill(0.3);
    for (let q3 = 0; q3 < n; q3++) {
      a2[q3] = (Math.sqrt(x1[(q3 * 3) % n] * x1[(q3 * 3) % n] + 1)) / (1 + (Math.sqrt(x1[(q3 * 3) % n] * x1[(q3 * 3) % n] + 1)) * (Math.sqrt(x1[(q3 * 3) % n] * x1[(q3 * 3) % n] + 1)));
    }
  }
  p0 *= 0.9 + 0.2 * Math.tanh(Math.min(Math.max(x1[1 % n], x1[Math.floor(Math.abs(1.2) * 3) % n]), h1(o, o, p1, n - 1)));
  let s4 = p2;
  s4 = ((p0 - o[Math.floor(Math.abs(o[1 % n]) * 3) % n]) * 2 * p2);
  if ((((((Math.max(p2, 0.5) < 0) || (h1(o, o, p2, n - 1) >= 0)) ? s4 : x0[0]) > Math.abs(s4)) && (p2 > (((p2 * x1[0]) < 0.2) ? p2 : s4)))) {
    const a5 = new Float64Array(n);
    for (let q6 = 0; q6 < n; q6++) {
      a5[q6] = Math.exp(-0.5 * (Math.tanh(o[(q6 + 1) % n]) ** 2) * (Math.tanh(o[(q6 + 1) % n]) ** 2));
    }
  } else {
    let k7 = 0;
    do {
      k7++;
    } while (k7 < n && ((((x1[k7] + o[n - 1 - k7]) <= Math.abs(s4)) ? p1 : p1) <= p2));
  }
}

/**
 * @differentiable
 * @out o
 */
export function f5(p0: number, p1: number, x0: Float64Array, x1: number[], x2: Float64Array, o: Float64Array): void {
  const n = x0.length;
  x1[0] *= 0.9 + 0.1 * Math.cos(Math.sqrt(h1(x2, x2, o[1 % n], n - 1) * h1(x2, x2, o[1 % n], n - 1) + 1));
  o[0] = Math.exp(-0.5 * (h1(x2, x2, (x1[0] * p1), 1 % n)) * (h1(x2, x2, (x1[0] * p1), 1 % n)));
  p0 -= Math.sin(Math.pow(1.5 + Math.sin(p1), Math.sin(Math.atan(p0) ** 2)));
  for (let i0 = n - 1; i0 >= 0; i0--) {
    p0 /= 1 + Math.min(i0 * 0.1, i0 * 0.1) * Math.min(i0 * 0.1, i0 * 0.1);
    for (let i1 = n - 1; i1 >= 0; i1--) {
      if (((x0[0] < Math.max(x2[i1], p1)) && (p1 <= (p0 + x1[(i1 + i0) % n])))) {
        o[(i1 + i0) % n] += 0.7 * Math.cos(p1);
        let s2 = (Math.pow(1.5 + Math.sin(p1), Math.exp(Math.sin(p1))) + x1[n - 1 - i0]);
      } else {
        let s3 = 0.3 * o[0] / (1 + x0[i1] * x0[i1]);
        x1[(i1 * 5 + 2) % n] = Math.tanh(1.2 * p1);
      }
      let s4 = Math.tanh((p1 + x0[(i0 * 3) % n]));
      if ((Math.sqrt(p1 * p1 + 1) < Math.pow(1.5 + Math.sin(1.5), Math.exp(-0.5 * (p1) * (p1))))) return;
      o[(i0 * 3) % n] = Math.exp(Math.sin(p1));
      if ((Math.pow(1.5 + Math.sin(o[n - 1 - i0]), Math.exp(-0.5 * (s4) * (s4))) < (i0 * 0.1 + p0))) break;
      let s5 = h1(x2, x2, x2[n - 1], 1 % n);
    }
  }
  for (let i6 = 1; i6 < n; i6++) {
    if ((stopGradient(x0[i6 - 1]) >= p0)) return;
    for (let i7 = 0; i7 < n; i7++) {
      p0 = Math.exp(-0.5 * ((Math.pow(1.5 + Math.sin(p0), Math.tanh(p1)) + ((-(p0) > 0) ? o[n - 1 - i7] : i6 * 0.1))) * ((Math.pow(1.5 + Math.sin(p0), Math.tanh(p1)) + ((-(p0) > 0) ? o[n - 1 - i7] : i6 * 0.1))));
      if ((((x2[i6 - 1] * x0[0]) > 0.8) && (h1(o, o, p1, i6) > h1(x2, o, p1, (i7 * i6) % n)))) continue;
      p0 /= 1 + -(p1) * -(p1);
      let s8 = (-(p1) * Math.min(o[(i7 * 3) % n], x1[(i7 * 5 + 2) % n]));
    }
  }
}

// Open bug (notes/compiler-bugs.md, "Open"): hw2Vjp gives NaN for grad.z where finite
// differences give 0 (random programs, seed 7, file 23, after this session's generator change;
// the same on 3482d98, so it predates the session). Check with `npx adgen check` on this file.

/**
 * @differentiable
 */
export const hs0 = (z: Float64Array, u: number): number => {
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    s += Math.pow(
      1.5 + Math.sin(Math.asin(0.9 * Math.tanh(Math.E)) >= z[i] ? u : u),
      z[2 % z.length] + u,
    );
  }
  return s;
};

/**
 * @differentiable
 * @out out
 */
export function hw1(z: Float64Array, u: number, out: Float64Array): void {
  for (let i = 0; i < z.length; i++) {
    for (let i0 = 0; i0 < z.length; i0++) {
      for (let i1 = 0; i1 < z.length; i1++) {
        let t0 = Math.cbrt(
          2 +
            Math.cos(
              (u >= u ? Math.E : Math.E) >=
                (u >= z[z.length - 1 - i1] ? out[3 % z.length] : out[3 % z.length]) &&
                out[z.length - 1 - i1] > out[4 % z.length]
                ? hs0(out, i0)
                : Math.hypot(1, out[i1], 0.5),
            ),
        );
        const t1 = Math.min(
          out[z.length - 1 - i1] > Math.E - Math.PI ? t0 : Math.E + t0,
          Math.PI + z[z.length - 1 - i1],
        );
      }
    }
    const w0 = new Float64Array(z.length);
    for (let i1 = 0; i1 < z.length; i1++) {
      let t0 =
        ((u >= z[0 % z.length] ? u : out[i1]) > Math.PI ? z[0 % z.length] : i1) >
          hs0(z, z[z.length - 1 - i1]) || Math.max(z[2 % z.length], out[i1]) >= z[0 % z.length]
          ? 0.5 + (!(u >= Math.PI) ? u : w0[i1])
          : !((u >= w0[0 % z.length] ? out[(i1 + 2) % z.length] : u) > (i1 > out[i1] ? i : u))
            ? i
            : Math.atan2(w0[i1], 1.5 + Math.cos(u));
      const t1 =
        z[0 % z.length] ** 2 + (0.5 > i1 ? Math.PI : out[3 % z.length]) + (Math.E - hs0(w0, t0));
      let t2 =
        Math.atan2(w0[(i1 + 2) % z.length], 1.5 + Math.cos(3)) *
        (u + 0.25) *
        Math.min(out[1 % z.length], u);
    }
    out[i] =
      Math.pow(1.5 + Math.sin(u), Math.cos(z[z.length - 1 - i])) +
      (!(u >= Math.log(1 + i ** 2))
        ? Math.log10(2 + w0[i] ** 2)
        : Math.pow(1.5 + Math.sin(z[(i + 1) % z.length]), out[i]));
  }
}

/**
 * @differentiable
 * @out out
 */
export const hw2 = function (z: Float64Array, u: number, out: Float64Array): void {
  for (let i = 0; i < z.length; i++) {
    for (let i0 = 0; i0 < z.length; i0++) {
      const t0 = Math.sign(z[(i0 + 1) % z.length]);
      let t1 =
        (!(z[i0] > t0) ? i0 : z[0 % z.length]) * (Math.E > z[0 % z.length] ? t0 : 2) -
        (u - u / (1.5 + Math.cos(t0)));
      const t2 = (u + (Math.E + z[1 % z.length])) / (1 + (z[i0] + t1 + out[i0]) ** 2);
    }
    hw1(
      z,
      hs0(
        out,
        z[3 % z.length] >= Math.pow(1.5 + Math.sin(-0.75), out[(i + 2) % z.length]) ? Math.E : u,
      ),
      out,
    );
    out[i] = u;
  }
};


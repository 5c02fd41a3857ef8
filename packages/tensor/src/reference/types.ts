/** Storage of the reference backend: float32 normally, float64 for gradient checks. */
export type FloatArray = Float32Array | Float64Array;

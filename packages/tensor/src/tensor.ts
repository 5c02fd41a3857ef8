import type { BufferHandle } from './contract/buffer.js';
import type { Device } from './device/device.js';
import { transfer } from './device/transfer.js';
import { ArgumentError, ShapeError, show } from './errors.js';
import { assertShape, type Shape, shapesEqual, sizeOf } from './shape.js';

/**
 * A float32 tensor: a shape and a buffer on one device. Tensors are contiguous and row-major
 * (NCHW for images). `reshape` makes a view over the same buffer; `dispose` frees the buffer of the
 * tensor that allocated it.
 */
export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  private disposed = false;

  constructor(
    readonly device: Device,
    shape: Shape,
    readonly buffer: BufferHandle,
    private readonly owner = true,
  ) {
    assertShape(shape);
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    if (buffer.device !== device.name) {
      throw new ArgumentError(`Tensor: buffer lives on ${buffer.device}, not on ${device.name}`);
    }
    if (buffer.length < this.size) {
      throw new ShapeError(
        `Tensor: shape ${show(shape)} needs ${this.size} elements, buffer holds ${buffer.length}`,
      );
    }
  }

  /** An uninitialised tensor (contents unspecified until written). */
  static empty(device: Device, shape: Shape): Tensor {
    assertShape(shape);
    return new Tensor(device, shape, device.backend.alloc(sizeOf(shape)));
  }

  static full(device: Device, shape: Shape, value: number): Tensor {
    const t = Tensor.empty(device, shape);
    device.backend.fill(t.buffer, value, 0, t.size);
    return t;
  }

  static zeros(device: Device, shape: Shape): Tensor {
    return Tensor.full(device, shape, 0);
  }

  /** A tensor holding a copy of `data`, which must have exactly as many elements as the shape. */
  static fromArray(device: Device, shape: Shape, data: ArrayLike<number>): Tensor {
    assertShape(shape);
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new ShapeError(
        `Tensor.fromArray: shape ${show(shape)} has ${n} elements, data has ${data.length}`,
      );
    }
    const t = Tensor.empty(device, shape);
    const src = data instanceof Float32Array || data instanceof Float64Array ? data : Float32Array.from(data);
    device.backend.write(t.buffer, src, 0);
    return t;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The elements, after all queued work on the device has finished. */
  toArray(): Promise<Float32Array> {
    this.assertLive();
    return this.device.backend.read(this.buffer, 0, this.size);
  }

  /** A view with another shape of the same size, sharing the buffer (not owning it). */
  reshape(shape: Shape): Tensor {
    this.assertLive();
    assertShape(shape);
    if (sizeOf(shape) !== this.size) {
      throw new ShapeError(
        `reshape: ${show(this.shape)} (${this.size} elements) cannot become ${show(shape)} (${sizeOf(shape)})`,
      );
    }
    return new Tensor(this.device, shape, this.buffer, false);
  }

  /** A copy of this tensor on another device (peer copy where the backend can, else via the host). */
  async to(device: Device): Promise<Tensor> {
    this.assertLive();
    const out = Tensor.empty(device, this.shape);
    await transfer(this.device, this.buffer, device, out.buffer, { length: this.size });
    return out;
  }

  sameShape(other: Tensor): boolean {
    return shapesEqual(this.shape, other.shape);
  }

  /** Frees the buffer (views only mark themselves disposed). Using a disposed tensor throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.owner) this.device.backend.free(this.buffer);
  }

  toString(): string {
    return `Tensor(${show(this.shape)} on ${this.device.name})`;
  }

  private assertLive(): void {
    if (this.disposed) throw new ArgumentError(`${this.toString()} was disposed`);
  }
}

/** The page's two pictures: the top-5 bars under the image (Figure 4, left) and the conv1 grid (Figure 3). */
import { centerCrop } from '@alexnet/augment';
import { type FilterGrid, filterGrid, type TopClass } from 'alexnet/browser';

/** The centre crop the network saw (before mean subtraction), drawn into `target`. */
export function drawCrop(target: HTMLCanvasElement, source: HTMLCanvasElement, crop: number): void {
  const { x, y } = centerCrop(source.width, source.height, crop);
  const ctx = target.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, target.width, target.height);
  ctx.drawImage(source, x, y, crop, crop, 0, 0, target.width, target.height);
}

/** One bar per class, its length the probability; the class and percentage as its label. */
export function drawBars(list: HTMLOListElement, top: readonly TopClass[]): void {
  list.replaceChildren(
    ...top.map((t) => {
      const li = document.createElement('li');
      li.dataset.class = t.class;
      li.dataset.index = String(t.index);
      li.dataset.probability = String(t.probability);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(100 * t.probability).toFixed(2)}%`;
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = `${t.class} ${(100 * t.probability).toFixed(1)}%`;
      li.append(bar, label);
      return li;
    }),
  );
}

/** conv1's weights as the Figure-3 grid, `scale`× with flat squares (CSS pixelated upscaling). */
export function drawFilters(
  canvas: HTMLCanvasElement,
  weights: Float32Array,
  shape: readonly number[],
  towers: 1 | 2,
  scale = 4,
): FilterGrid {
  const grid = filterGrid(weights, shape, towers);
  canvas.width = grid.width;
  canvas.height = grid.height;
  canvas.style.width = `${grid.width * scale}px`;
  canvas.style.height = `${grid.height * scale}px`;
  const image = new ImageData(grid.width, grid.height);
  for (let p = 0, q = 0; q < grid.rgb.length; p += 4, q += 3) {
    image.data[p] = grid.rgb[q]!;
    image.data[p + 1] = grid.rgb[q + 1]!;
    image.data[p + 2] = grid.rgb[q + 2]!;
    image.data[p + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return grid;
}

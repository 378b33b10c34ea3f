// Where the spectrogram's plot is on the page, for the browser test and the UI benchmark: passed to
// page.evaluate, so it must stay self-contained (no imports, no closures).

/**
 * The plot rectangle in page pixels. From the canvas's data-plot (`left,top,width,height` in CSS pixels) when the
 * page publishes it; else found in the pixels: the plot is painted opaque over its whole area while the margins only carry
 * label text, so the plot's columns (rows) are those where most pixels are opaque.
 */
export function plotBox() {
  const canvas = document.getElementById('spectrogram');
  const r = canvas.getBoundingClientRect();
  const d = canvas.dataset;
  if (d.plot !== undefined) {
    const [left, top, width, height] = d.plot.split(',').map(Number);
    return { left: r.left + left, top: r.top + top, width, height };
  }
  const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const inColumn = new Uint32Array(width);
  const inRow = new Uint32Array(height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4 + 3] === 255) {
        inColumn[x]++;
        inRow[y]++;
      }
    }
  }
  const xs = [...inColumn.keys()].filter((x) => inColumn[x] > height / 2);
  const ys = [...inRow.keys()].filter((y) => inRow[y] > width / 2);
  if (!xs.length || !ys.length) return null;
  const scale = canvas.width / r.width;
  return {
    left: r.left + xs[0] / scale,
    top: r.top + ys[0] / scale,
    width: (xs[xs.length - 1] + 1 - xs[0]) / scale,
    height: (ys[ys.length - 1] + 1 - ys[0]) / scale,
  };
}

/// <reference lib="dom" />
// Pointing at the UI's spectrogram in a browser test: where its slowest lit cell is, and a drag selecting around it.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Finds the lit spectrogram cell highest up (the slowest spans) by reading the canvas pixels. */
export async function slowestLitPoint(page: Page): Promise<{ x: number; y: number }> {
  const found = await page.evaluate(() => {
    const canvas = document.getElementById('spectrogram') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    // Plot area starts right of the axis labels; lit cells are coloured (not black, not grey text).
    for (let y = 0; y < height; y++) {
      for (let x = Math.round(70 * scale); x < width; x++) {
        const i = (y * width + x) * 4;
        const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
        const coloured = Math.max(r, g, b) > 60 && Math.max(r, g, b) - Math.min(r, g, b) > 40;
        if (coloured) return { x: x / scale + 2, y: y / scale + 2 };
      }
    }
    return null;
  });
  expect(found, 'a lit cell on the spectrogram').not.toBeNull();
  const box = (await page.locator('#spectrogram').boundingBox())!;
  return { x: box.x + found!.x, y: box.y + found!.y };
}

export async function dragAround(page: Page, p: { x: number; y: number }) {
  await page.mouse.move(p.x - 6, p.y - 6);
  await page.mouse.down();
  await page.mouse.move(p.x + 2, p.y + 2, { steps: 4 });
  await page.mouse.move(p.x + 6, p.y + 6, { steps: 4 });
  await page.mouse.up();
}

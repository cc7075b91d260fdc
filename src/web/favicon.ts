/**
 * The pages' icon, a white pound sign on the pages' link blue, drawn once as 16 × 16 pixels and
 * served two ways from that drawing, with no file to ship: as an SVG data URI in each page's
 * `<link rel="icon">` (Helmet's CSP allows `data:` images; no request at all), and as a classic ICO
 * at /favicon.ico, which browsers ask for by themselves (a JSON response viewed in a browser, say).
 */
const PIXELS = [
  '.bbbbbbbbbbbbbb.',
  'bbbbbbbbbbbbbbbb',
  'bbbbbbwwwwbbbbbb',
  'bbbbbwwbbwwbbbbb',
  'bbbbbwwbbbbbbbbb',
  'bbbbbwwbbbbbbbbb',
  'bbbbbwwbbbbbbbbb',
  'bbbwwwwwwwbbbbbb',
  'bbbbbwwbbbbbbbbb',
  'bbbbbwwbbbbbbbbb',
  'bbbbbwwbbbbbbbbb',
  'bbbbwwbbbbbbbbbb',
  'bbbwwwwwwwwwwbbb',
  'bbbbbbbbbbbbbbbb',
  'bbbbbbbbbbbbbbbb',
  '.bbbbbbbbbbbbbb.',
] as const;
const SIZE = 16;
/** RGBA of each pixel letter. */
const COLOURS: Record<string, readonly [number, number, number, number]> = {
  '.': [0, 0, 0, 0],
  b: [0x1d, 0x3f, 0x8f, 255],
  w: [255, 255, 255, 255],
};

/** The white pixels as one path: a unit-high rectangle for each run of them in a row. */
function whitePath(): string {
  return PIXELS.flatMap((row, y) =>
    [...row.matchAll(/w+/g)].map((run) => `M${run.index} ${y}h${run[0].length}v1h-${run[0].length}z`),
  ).join('');
}

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" shape-rendering="crispEdges"><path fill="#1d3f8f" d="M1 0h14v1h1v14h-1v1h-14v-1h-1v-14h1z"/><path fill="#fff" d="${whitePath()}"/></svg>`;

export const FAVICON_DATA_URI = `data:image/svg+xml,${encodeURIComponent(FAVICON_SVG)}`;

/** The same drawing as an ICO: one 16 × 16 image, 32 bits a pixel (BGRA, bottom row first), and its mask. */
function ico(): Buffer {
  const pixelBytes = SIZE * SIZE * 4;
  const maskBytes = SIZE * 4; // one bit a pixel, each row padded to 32 bits
  const imageBytes = 40 + pixelBytes + maskBytes;
  const out = Buffer.alloc(6 + 16 + imageBytes);
  // ICONDIR: reserved, type 1 (icon), one image
  out.writeUInt16LE(0, 0);
  out.writeUInt16LE(1, 2);
  out.writeUInt16LE(1, 4);
  // ICONDIRENTRY: width, height, no palette, reserved, planes, bits per pixel, size, offset
  out.writeUInt8(SIZE, 6);
  out.writeUInt8(SIZE, 7);
  out.writeUInt16LE(1, 10);
  out.writeUInt16LE(32, 12);
  out.writeUInt32LE(imageBytes, 14);
  out.writeUInt32LE(22, 18);
  // BITMAPINFOHEADER: the height counts the image and its mask
  out.writeUInt32LE(40, 22);
  out.writeInt32LE(SIZE, 26);
  out.writeInt32LE(SIZE * 2, 30);
  out.writeUInt16LE(1, 34);
  out.writeUInt16LE(32, 36);
  out.writeUInt32LE(pixelBytes + maskBytes, 42);
  const pixels = 62;
  const mask = pixels + pixelBytes;
  PIXELS.forEach((row, y) => {
    const line = SIZE - 1 - y;
    [...row].forEach((letter, x) => {
      const [r, g, b, a] = COLOURS[letter] ?? [0, 0, 0, 0];
      out.set([b, g, r, a], pixels + (line * SIZE + x) * 4);
      if (a === 0) out[mask + line * 4 + (x >> 3)]! |= 0x80 >> (x & 7);
    });
  });
  return out;
}

export const FAVICON_ICO: Buffer = ico();

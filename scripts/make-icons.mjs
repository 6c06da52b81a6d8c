#!/usr/bin/env node
// Writes the PWA icons (public/icons/icon-192.png, icon-512.png, maskable-512.png): the favicon's "T" on
// its blue square, drawn with plain arithmetic and encoded as PNG with node:zlib, so no image tool is
// needed. Run once when the design changes; the PNGs are committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BLUE = [0x1f, 0x3a, 0x5f];
const WHITE = [0xff, 0xff, 0xff];

/** CRC-32 of a byte array (PNG chunk checksums). */
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** RGBA pixels of the icon at `size`; `full`: the square fills the canvas (maskable), else rounded corners. */
function draw(size, full) {
  const px = Buffer.alloc(size * size * 4);
  const u = size / 32; // the favicon's 32-unit grid
  const r = full ? 0 : 6 * u;
  const inset = full ? 0.1 : 0; // keep the glyph inside a maskable icon's safe zone
  const s = (v) => size * inset + v * u * (1 - 2 * inset);
  const stroke = 1.5 * u * (1 - 2 * inset);
  const nearSegment = (x, y, x0, y0, x1, y1) => {
    const t = Math.max(0, Math.min(1, ((x - x0) * (x1 - x0) + (y - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2)));
    return Math.hypot(x - (x0 + t * (x1 - x0)), y - (y0 + t * (y1 - y0))) <= stroke;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const cx = Math.min(x + 0.5, size - x - 0.5);
      const cy = Math.min(y + 0.5, size - y - 0.5);
      const outside = cx < r && cy < r && Math.hypot(r - cx, r - cy) > r;
      const glyph = nearSegment(x + 0.5, y + 0.5, s(7), s(10), s(25), s(10)) || nearSegment(x + 0.5, y + 0.5, s(16), s(10), s(16), s(24));
      const [R, G, B] = glyph ? WHITE : BLUE;
      px.set([R, G, B, outside ? 0 : 255], (y * size + x) * 4);
    }
  }
  return px;
}

function png(size, full) {
  const px = draw(size, full);
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) px.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const dir = new URL('../public/icons/', import.meta.url);
writeFileSync(new URL('icon-192.png', dir), png(192, false));
writeFileSync(new URL('icon-512.png', dir), png(512, false));
writeFileSync(new URL('maskable-512.png', dir), png(512, true));
console.log('icons written to public/icons/');

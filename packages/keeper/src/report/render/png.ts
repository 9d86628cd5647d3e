/**
 * Turns the report's SVG into a PNG with headless Chromium (a system package, not an npm dependency), and decodes a
 * PNG with node:zlib to check a picture is not blank: its size and how many distinct colours it holds.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";

import { CordonError } from "../../errors.js";

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The Chromium binary: `$CHROMIUM` or the first candidate on PATH; undefined when there is none. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  for (const name of CANDIDATES) {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (found.status === 0 && found.stdout.trim() !== "") return found.stdout.trim();
  }
  return undefined;
}

/** Reads an SVG's width and height attributes. */
export function svgSize(svg: string): { width: number; height: number } {
  const width = /<svg[^>]*\swidth="(\d+)"/.exec(svg)?.[1];
  const height = /<svg[^>]*\sheight="(\d+)"/.exec(svg)?.[1];
  if (width === undefined || height === undefined) throw new CordonError("the SVG has no width and height");
  return { width: Number(width), height: Number(height) };
}

/** Renders `svgFile` to `pngFile` at the SVG's own size with headless Chromium. */
export function svgToPng(svgFile: string, pngFile: string): void {
  const chromium = findChromium();
  if (chromium === undefined) {
    throw new CordonError("Chromium is not installed: it renders the report's SVG to PNG", {
      details: `install it (Debian: apt-get install -y --no-install-recommends chromium), or set CHROMIUM to its path`,
    });
  }
  const { width, height } = svgSize(readFileSync(svgFile, "utf8"));
  execFileSync(
    chromium,
    [
      "--headless",
      "--no-sandbox", // CI runs as root, where Chromium's sandbox refuses to start
      "--disable-gpu",
      "--hide-scrollbars",
      `--screenshot=${path.resolve(pngFile)}`,
      `--window-size=${width},${height}`,
      pathToFileURL(path.resolve(svgFile)).href,
    ],
    { stdio: "ignore", timeout: 60_000 },
  );
}

export interface PngSummary {
  width: number;
  height: number;
  /** Distinct RGBA values among the pixels. */
  colours: number;
  /** Share of pixels that are not white. */
  inked: number;
}

/** Decodes an 8-bit RGB or RGBA PNG (what Chromium writes) and summarises its pixels. */
export function decodePng(png: Buffer): PngSummary {
  if (png.subarray(0, 8).toString("hex") !== "89504e470d0a1a0a") throw new CordonError("not a PNG file");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colourType = data[9];
      channels = colourType === 6 ? 4 : colourType === 2 ? 3 : 0;
      if (depth !== 8 || channels === 0 || data[12] !== 0) {
        throw new CordonError(`unsupported PNG: bit depth ${depth}, colour type ${colourType}, interlace ${data[12]}`);
      }
    } else if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[i] = (line[i]! + predictor) & 0xff;
    }
  }
  const colours = new Set<number>();
  let inked = 0;
  for (let i = 0; i < pixels.length; i += channels) {
    const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
    const alpha = channels === 4 ? pixels[i + 3]! : 255;
    colours.add(((r << 16) | (g << 8) | b) * 256 + alpha);
    if (r < 250 || g < 250 || b < 250) inked++;
  }
  return { width, height, colours: colours.size, inked: inked / (width * height) };
}

/**
 * SVG → PNG for the sweep plots, with resvg (a maintained Rust SVG renderer with prebuilt binaries, so
 * the plots need no browser or canvas library). Labels use the system's fonts (Debian: fonts-liberation).
 */
import type { ResvgRenderOptions } from '@resvg/resvg-js';

export async function svgToPng(svg: string, scale = 1): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const opts: ResvgRenderOptions = {
    background: '#ffffff',
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'Liberation Sans' },
  };
  return Buffer.from(new Resvg(svg, opts).render().asPng());
}

/** Renders a Vega-Lite spec to SVG in Node (vega's headless View; no canvas needed for SVG). */
export async function renderSvg(spec: object): Promise<string> {
  // Both packages are ESM-only; this workspace compiles to CommonJS.
  const vega = await import('vega');
  const vegaLite = await import('vega-lite');
  const compiled = vegaLite.compile(spec as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

import { html, nothing, type TemplateResult } from 'lit';

/**
 * How a variant runs, as a badge: a swatch in its palette colour (web/palette.ts:
 * fp32 blue, int8 orange, compressed green) and the runtime in the text colour,
 * so the text keeps its contrast whatever the colour. Styles: `.rt` in shared-styles.
 */
export function runtimeBadge(runtime: string, color: string, title?: string): TemplateResult {
  return html`<span class="rt" data-testid="runtime-badge" data-color=${color} title=${title ?? nothing}
    ><span class="swatch" aria-hidden="true" style="background:${color}"></span>${runtime}</span
  >`;
}

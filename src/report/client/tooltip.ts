/// <reference lib="dom" />
/**
 * The one tooltip of the page (#tooltip): HTML content placed beside the pointer, kept inside
 * the viewport. Charts call `showTooltip` on hover and `hideTooltip` on leave.
 */

/** Escapes text for HTML built in the browser. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** One tooltip row: a colour swatch (solid or dashed), a label and a value. */
export interface TooltipRow {
  color: string;
  dash?: string | undefined;
  label: string;
  value: string;
  key?: string;
}

export function tooltipHtml(head: string, rows: TooltipRow[], foot?: string): string {
  const body = rows
    .map(
      (r) =>
        `<tr${r.key ? ` data-key="${esc(r.key)}"` : ''}><td><span class="sw" style="background:${
          r.dash ? `repeating-linear-gradient(90deg, ${r.color} 0 4px, transparent 4px 6px)` : r.color
        }"></span></td><td class="tt-label">${esc(r.label)}</td><td class="num tt-value">${esc(r.value)}</td></tr>`,
    )
    .join('');
  return `<div class="tt-head">${esc(head)}</div>${rows.length > 0 ? `<table>${body}</table>` : ''}${
    foot ? `<div class="tt-foot">${esc(foot)}</div>` : ''
  }`;
}

function el(): HTMLElement | null {
  return document.getElementById('tooltip');
}

export function showTooltip(html: string, clientX: number, clientY: number): void {
  const t = el();
  if (!t) return;
  t.innerHTML = html;
  t.hidden = false;
  const pad = 14;
  const { width, height } = t.getBoundingClientRect();
  let x = clientX + pad;
  let y = clientY + pad;
  if (x + width > window.innerWidth - 4) x = Math.max(4, clientX - pad - width);
  if (y + height > window.innerHeight - 4) y = Math.max(4, clientY - pad - height);
  t.style.left = `${x}px`;
  t.style.top = `${y}px`;
}

export function hideTooltip(): void {
  const t = el();
  if (t) t.hidden = true;
}

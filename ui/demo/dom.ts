// Small DOM helpers shared by the demo page's modules.

export function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
}

let ids = 0;

/** A fresh id for a control, so every label and hint can point at it. */
export function nextId(prefix: string): string {
  return `${prefix}-${++ids}`;
}

export const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;
export const pixels = (width: number, height: number): string => `${width} × ${height} px`;

// DOM helpers. Security rule of the whole client: span data (names, args, paths, services, ...) comes from
// arbitrary local processes. It only ever reaches the DOM through textContent, .value, .title or dataset, never
// through innerHTML or attribute strings, and the only URL built from data is the Jaeger link (server-built,
// checked for http/https in detail.ts too).

/** The page's element with that id (page.ts writes them; a missing one is a bug of the page, not of the data). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no element #${id}.`);
  return found as T;
}

/** A new element with an optional class and text (always as textContent). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string | number | null,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/** Test and benchmark hooks on <body>: counters bumped after each completed draw, which waiters poll. */
export type RenderCounter = 'spectrogramDraws' | 'listRenders' | 'waterfallRenders';

export function countRender(counter: RenderCounter): void {
  const body = document.body.dataset;
  body[counter] = String(Number(body[counter] ?? '0') + 1);
}

/** Replaces a select's options after the first ("any"), keeping its value selectable even when gone from the data. */
export function fillSelect<T>(
  select: HTMLSelectElement,
  items: readonly T[],
  valueFor: (item: T) => string | number,
  labelOf: (item: T) => string,
): void {
  const current = select.value;
  select.replaceChildren(select.options[0]);
  for (const item of items) {
    const option = document.createElement('option');
    option.value = String(valueFor(item));
    option.textContent = labelOf(item);
    select.append(option);
  }
  setSelectValue(select, current);
}

/** Selects `value`, adding it as "(none in memory)" when no option has it, so the filter in use stays visible. */
export function setSelectValue(select: HTMLSelectElement, value: string): void {
  select.value = value;
  if (select.value === value) return;
  const option = document.createElement('option');
  option.value = value;
  option.textContent = `${value} (none in memory)`;
  select.append(option);
  select.value = value;
}

// The scope selector and the filter expression: which spans every panel counts. An expression applies on Enter;
// when the server refuses it (400 with a column), its sentence shows under the input with the expression echoed
// and the character at the column marked, and the filter in force stays the previous one.

import { ApiError } from './api.js';
import { byId, el } from './dom.js';
import { markColumn } from './expression-mark.js';
import { guarded } from './notices.js';
import { loadSpectrogram } from './spectrogram.js';
import { SCOPES, type Scope, urlState } from './url-state.js';

let onChange: () => void = () => {};

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Redraws the spectrogram with the scope and filter in `urlState`; on a refused filter, restores `previous`. */
async function apply(previous: string): Promise<void> {
  try {
    await loadSpectrogram();
  } catch (err) {
    urlState.filter = previous;
    if (err instanceof ApiError && err.column !== null) {
      showFilterError(byId<HTMLInputElement>('filter-expr').value, err.message, err.column);
      return;
    }
    throw err;
  }
  showFilterError(null);
  onChange();
}

/** The error under the input: the sentence, then the expression with the character at `column` marked. */
export function showFilterError(text: string | null, message = '', column = 1): void {
  const box = byId('filter-error');
  const input = byId<HTMLInputElement>('filter-expr');
  box.hidden = text === null;
  input.setAttribute('aria-invalid', String(text !== null));
  if (text === null) {
    box.replaceChildren();
    return;
  }
  const m = markColumn(text, column);
  // an empty mark (a missing word at the end) still shows where: a highlighted space
  const echo = el('code', 'filter-echo');
  echo.append(m.before, el('mark', '', m.at || ' '), m.after);
  box.replaceChildren(el('span', 'filter-message', `${message} (column ${column})`), echo);
  box.dataset.column = String(column);
  input.focus();
}

/** Puts the view's scope and filter into the controls (after the URL set them). */
export function syncFilterBar(): void {
  const scope = byId<HTMLSelectElement>('scope');
  scope.value = urlState.scope;
  byId<HTMLInputElement>('filter-expr').value = urlState.filter;
  scope.disabled = urlState.mode !== '';
  scope.title = scope.disabled ? 'Calls are counted whichever span made them.' : 'Which spans are counted';
}

/** Wires the controls; `changed` runs after a new scope or filter is in force (the other panels reload). */
export function initFilterBar(changed: () => void): void {
  onChange = changed;
  const scope = byId<HTMLSelectElement>('scope');
  const input = byId<HTMLInputElement>('filter-expr');
  syncFilterBar();
  scope.addEventListener('change', () => {
    if (!isScope(scope.value)) return;
    urlState.scope = scope.value;
    guarded(apply)(urlState.filter);
  });
  byId('filter-bar').addEventListener('submit', (e) => {
    e.preventDefault();
    const previous = urlState.filter;
    urlState.filter = input.value.trim();
    guarded(apply)(previous);
  });
}

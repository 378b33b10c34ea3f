// The header's time-zone switch: every time on the page (axis, list, detail, notices) in local time or UTC.

import { zoneText } from './clock.js';
import { redrawDetailTimes } from './detail.js';
import { byId } from './dom.js';
import { redrawListTimes } from './list.js';
import { renderDropNotice } from './notices.js';
import { drawSpectrogram } from './spectrogram.js';
import { saveUrlState, urlState } from './url-state.js';

/** Shows the zone in use on the button; the click switches to the other one. */
export function renderZoneSwitch(): void {
  const button = byId<HTMLButtonElement>('tz-toggle');
  button.textContent = `Times: ${zoneText()}`;
  button.title = `Times are shown in ${urlState.tz === 'utc' ? 'UTC' : 'local time'}; click for ${
    urlState.tz === 'utc' ? 'local time' : 'UTC'
  }`;
  button.dataset.zone = urlState.tz;
}

/** Redraws everything that shows a time (after the zone changed, from the switch or the URL). */
export function redrawTimes(): void {
  renderZoneSwitch();
  drawSpectrogram();
  redrawListTimes();
  redrawDetailTimes();
  renderDropNotice();
}

export function initZoneSwitch(): void {
  byId('tz-toggle').addEventListener('click', () => {
    urlState.tz = urlState.tz === 'utc' ? 'local' : 'utc';
    saveUrlState('push');
    redrawTimes();
  });
  renderZoneSwitch();
}

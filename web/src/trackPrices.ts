/**
 * The results page's "Track prices" toggle (signed-in users, one-way and round-trip searches
 * in any of the four cabins): a button with aria-pressed that creates a price alert for the
 * searched route and dates (a drop of TOGGLE_DROP_PERCENT % below today's price) or deletes
 * the one that tracks them. Hidden for everyone else.
 */

import type { App } from './app';
import { alertForSearch, alertMatches, AlertsApi, type PriceAlert, type TrackedSearch } from './alertsApi';
import { h } from './dom';
import { describeError } from './problems';

export interface TrackToggle {
  el: HTMLElement;
  /** The search changed (dates, cabin ...): find its alert again. */
  update(s: TrackedSearch | null): Promise<void>;
}

export function trackToggle(app: App, api?: AlertsApi): TrackToggle {
  const label = h('span', {}, 'Track prices');
  const button = h('button', { type: 'button', class: 'btn btn-secondary track-prices', 'aria-pressed': 'false' }, label) as HTMLButtonElement;
  const note = h('a', { class: 'track-prices-link', href: '/account/price-alerts' }, 'Your price alerts');
  const el = h('div', { class: 'track-prices-box' }, button, note);
  el.hidden = true;
  let search: TrackedSearch | null = null;
  let alert: PriceAlert | null = null;
  let busy = false;
  const alerts = (): AlertsApi => (api ??= new AlertsApi(app.session));

  function show(): void {
    button.setAttribute('aria-pressed', String(alert !== null));
    label.textContent = alert ? 'Tracking prices' : 'Track prices';
    button.title = alert ? 'Stop the price alert for this search' : 'Get an alert when this search gets cheaper';
  }

  async function update(s: TrackedSearch | null): Promise<void> {
    search = s;
    alert = null;
    el.hidden = !app.session?.signedIn || s === null || alertForSearch(s) === null;
    show();
    if (el.hidden || s === null) return;
    try {
      const all = await alerts().list();
      if (search !== s) return;
      alert = all.find((a) => alertMatches(a, s)) ?? null;
      show();
    } catch {
      /* the toggle stays off; clicking reports the error */
    }
  }

  button.addEventListener('click', () => {
    if (busy || search === null) return;
    const body = alertForSearch(search);
    if (body === null) return;
    busy = true;
    button.disabled = true;
    const done = alert
      ? alerts().remove(alert.id).then(() => {
          alert = null;
          app.toast('Price alert removed.');
        })
      : alerts().create(body).then((a) => {
          alert = a;
          app.toast('Tracking prices: we will tell you when this trip gets cheaper.');
        });
    done
      .catch((err: unknown) => app.toast(describeError(err)))
      .finally(() => {
        busy = false;
        button.disabled = false;
        show();
      });
  });
  return { el, update };
}

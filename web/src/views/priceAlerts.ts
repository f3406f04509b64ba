/**
 * /account/price-alerts: the signed-in user's price alerts (GET /api/v1/me/price-alerts),
 * each with its route, dates, rule, last price and lowest price seen, a link to its search,
 * a form to change the rule (a maximum price in the alert's currency, or a drop of X %) and
 * a delete button, and on demand the route's price graphs (priceGraph.ts: the price of the
 * alert's departure date over time and the price by departure date). Alerts are made from the
 * results page's "Track prices" toggle (or the API).
 */

/** The departure date the graphs show: the alert's, or the first its search link names. */
export function graphDate(a: PriceAlert): string {
  if (a.dates.type === 'exact') return a.dates.departure;
  const m = /[?&]depart=(\d{4}-\d{2}-\d{2})/.exec(a.search_url);
  return m ? m[1]! : `${a.dates.month}-01`;
}

/** A "Price history" button that fetches and draws the graphs below it (and hides them). */
function historyToggle(app: App, a: PriceAlert): HTMLElement {
  const box = h('div', { class: 'price-alert-history', id: nextId('alert-history') });
  box.hidden = true;
  const toggle = button('Price history', { variant: 'ghost', attrs: { 'aria-expanded': 'false', 'aria-controls': box.id } });
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    if (!open) {
      destroyPriceGraphs(box);
      box.replaceChildren();
      box.hidden = true;
      return;
    }
    box.hidden = false;
    box.replaceChildren(loading('Loading the price history…'));
    fetchPriceHistory({ origin: a.origin, destination: a.destination, departureDate: graphDate(a), cabin: a.cabin, currency: a.currency }, { fetchFn: app.fetchFn })
      .then((ph) => {
        if (toggle.getAttribute('aria-expanded') === 'true') box.replaceChildren(renderPriceGraphs(ph));
      })
      .catch((err: unknown) => box.replaceChildren(notice(describeError(err), 'error')));
  });
  return h('div', { class: 'price-alert-graphs' }, toggle, box);
}

import type { App, View } from '../app';
import { AlertsApi, datesText, formatMinor, minorDigits, parseMajor, ruleText, type PriceAlert } from '../alertsApi';
import { h, ICONS, nextId } from '../dom';
import { button } from '../forms';
import { destroyPriceGraphs, fetchPriceHistory, renderPriceGraphs } from '../priceGraph';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { accountPage, card, loading, notice } from './shell';

function priceLine(label: string, amount: number | null, currency: string): HTMLElement {
  return h('p', { class: 'alert-price' }, h('span', { class: 'alert-price-label' }, `${label}: `), amount === null ? 'not known yet' : formatMinor(amount, currency));
}

/** The rule editor of one alert; calls save with the patch. */
function ruleForm(a: PriceAlert, save: (patch: { max_price?: { amount_minor: number; currency: string }; drop_percent?: number }) => Promise<void>): HTMLElement {
  const kindId = nextId('alert-kind');
  const valueId = nextId('alert-value');
  const errId = `${valueId}-error`;
  const kind = h('select', { id: kindId, name: 'kind', class: 'field-input field-select' }) as HTMLSelectElement;
  kind.add(new Option(`Maximum price (${a.currency})`, 'max'));
  kind.add(new Option('Drop of at least (%)', 'drop'));
  kind.value = a.max_price ? 'max' : 'drop';
  const value = h('input', { id: valueId, name: 'value', class: 'field-input', inputmode: 'decimal', 'aria-describedby': errId }) as HTMLInputElement;
  value.value = a.max_price ? String(a.max_price.amount_minor / 10 ** minorDigits(a.currency)) : String(a.drop_percent ?? '');
  const err = h('p', { class: 'field-error', id: errId, role: 'alert' });
  const submit = button('Save', { type: 'submit', variant: 'secondary' });
  const form = h(
    'form',
    { class: 'alert-rule', novalidate: '' },
    h('div', { class: 'field' }, h('label', { for: kindId, class: 'field-label' }, 'Alert me on'), kind),
    h('div', { class: 'field' }, h('label', { for: valueId, class: 'field-label' }, 'Amount'), value, err),
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    err.textContent = '';
    let patch: Parameters<typeof save>[0];
    if (kind.value === 'max') {
      const minor = parseMajor(value.value, a.currency);
      if (minor === null) {
        err.textContent = `Enter an amount in ${a.currency}, such as 350.`;
        value.setAttribute('aria-invalid', 'true');
        return;
      }
      patch = { max_price: { amount_minor: minor, currency: a.currency } };
    } else {
      const pct = Number(value.value);
      if (!Number.isInteger(pct) || pct < 1 || pct > 90) {
        err.textContent = 'Enter a whole percentage from 1 to 90.';
        value.setAttribute('aria-invalid', 'true');
        return;
      }
      patch = { drop_percent: pct };
    }
    value.removeAttribute('aria-invalid');
    submit.disabled = true;
    save(patch)
      .catch((x: unknown) => {
        err.textContent = describeError(x);
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

export function priceAlertsView(app: App, ctx: RouteContext, api: AlertsApi = new AlertsApi(app.session)): View {
  const page = accountPage('price-alerts', 'Price alerts', 'The trips you track. We tell you when a price drops below your maximum or by the share you chose, at most once a day per alert.');
  if (ctx.flash) page.main.append(notice(ctx.flash, 'success', 'page-flash'));
  const listCard = card('Your alerts', { id: 'price-alerts' });
  const status = h('p', { class: 'form-status page-status', role: 'status', 'aria-live': 'polite' });
  listCard.body.append(loading('Loading your price alerts…'));
  page.main.append(status, listCard.el);
  let destroyed = false;

  function item(a: PriceAlert): HTMLElement {
    const li = h('li', { class: 'price-alert', 'data-alert-id': a.id });
    const render = (x: PriceAlert): void => {
      const del = button('Delete', { variant: 'danger', iconPath: ICONS.trash, attrs: { 'aria-label': `Delete the alert ${x.origin} to ${x.destination}` } });
      del.addEventListener('click', () => {
        del.disabled = true;
        api
          .remove(x.id)
          .then(() => {
            li.remove();
            status.textContent = `Alert ${x.origin} → ${x.destination} deleted.`;
            if (!listCard.body.querySelector('.price-alert')) showEmpty();
          })
          .catch((err: unknown) => {
            del.disabled = false;
            status.textContent = describeError(err);
          });
      });
      li.replaceChildren(
        h('h3', { class: 'price-alert-route' }, `${x.origin} → ${x.destination}`),
        h('p', { class: 'price-alert-dates' }, `${datesText(x.dates)} · ${x.cabin === 'business' ? 'Business' : 'Economy'} · ${x.passengers} passenger${x.passengers === 1 ? '' : 's'}`),
        h('p', { class: 'price-alert-rule' }, ruleText(x)),
        priceLine('Last price', x.last_price_minor, x.currency),
        priceLine('Lowest seen', x.baseline_minor, x.currency),
        h('p', {}, h('a', { href: x.search_url, class: 'price-alert-search' }, 'See the flights')),
        historyToggle(app, x),
        ruleForm(x, async (patch) => {
          const updated = await api.update(x.id, patch);
          status.textContent = `Alert ${updated.origin} → ${updated.destination} saved: ${ruleText(updated)}.`;
          render(updated);
        }),
        del,
      );
    };
    render(a);
    return li;
  }

  function showEmpty(): void {
    listCard.body.replaceChildren(notice('No price alerts yet. Search for a trip and choose "Track prices" on the results.', 'info', 'alerts-empty'), h('p', {}, h('a', { class: 'btn btn-primary', href: '/' }, 'Search flights')));
  }

  api
    .list()
    .then((alerts) => {
      if (destroyed) return;
      if (alerts.length === 0) {
        showEmpty();
        return;
      }
      listCard.body.replaceChildren(h('ul', { class: 'price-alert-list', 'aria-labelledby': listCard.heading.id }, alerts.map(item)));
    })
    .catch((err: unknown) => {
      if (!destroyed) listCard.body.replaceChildren(h('div', { role: 'alert' }, notice(describeError(err), 'error')));
    });
  return {
    el: page.el,
    heading: page.heading,
    destroy() {
      destroyed = true;
    },
  };
}

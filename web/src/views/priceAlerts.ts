/**
 * /account/price-alerts: the signed-in user's price alerts (GET /api/v1/me/price-alerts),
 * each with its route, dates, rule, last price and lowest price seen, a link to its search,
 * a form to change the rule (a maximum price in the alert's currency, or a drop of X %) and
 * a delete button, and on demand the route's price graphs (priceGraph.ts: the price of the
 * alert's departure date over time and the price by departure date). Alerts are made from the
 * results page's "Track prices" toggle (exact dates) or the page's "New price alert" form:
 * a route, exact or flexible dates (any day of a month, its weekends, a round trip with a stay
 * length), cabin, passengers, currency, a maximum price or a drop of X %, and the channels
 * (which the rule form of each alert can change too).
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
import {
  ALERT_CHANNELS,
  alertFromForm,
  AlertsApi,
  channelsText,
  datesText,
  formatMinor,
  minorDigits,
  parseMajor,
  ruleText,
  type AlertFormField,
  type AlertFormValues,
  type PriceAlert,
} from '../alertsApi';
import { h, ICONS, nextId } from '../dom';
import { button, field, FormController } from '../forms';
import { cabinLabel, SEARCH_CABINS } from '../options';
import { SessionExpiredError } from '../session';
import { destroyPriceGraphs, fetchPriceHistory, renderPriceGraphs } from '../priceGraph';
import { describeError } from '../problems';
import type { RouteContext } from '../router';
import { accountPage, card, loading, notice } from './shell';

function priceLine(label: string, amount: number | null, currency: string): HTMLElement {
  return h('p', { class: 'alert-price' }, h('span', { class: 'alert-price-label' }, `${label}: `), amount === null ? 'not known yet' : formatMinor(amount, currency));
}

/** The rule editor of one alert; calls save with the patch. */
/** Channel checkboxes (name `channels`) in a fieldset, `checked` ticked. */
function channelBoxes(checked: readonly string[], legend: string): { el: HTMLFieldSetElement; read: () => string[]; error: HTMLElement; first: HTMLInputElement; legend: HTMLElement } {
  const boxes = ALERT_CHANNELS.map((c) => {
    const id = nextId(`alert-ch-${c.value}`);
    const box = h('input', { type: 'checkbox', id, name: 'channels', value: c.value, class: 'check-input', checked: checked.includes(c.value) }) as HTMLInputElement;
    return { box, row: h('div', { class: 'check-row' }, box, h('label', { for: id }, c.label)) };
  });
  const error = h('p', { class: 'field-error', id: nextId('alert-ch-error'), hidden: true });
  const leg = h('legend', { class: 'field-label legend' }, legend);
  const el = h('fieldset', { class: 'fieldset alert-channels', 'data-field': 'channels' }, leg, h('div', { class: 'scope-options' }, boxes.map((b) => b.row)), error) as HTMLFieldSetElement;
  return { el, read: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value), error, first: boxes[0]!.box, legend: leg };
}

type RulePatch = { max_price?: { amount_minor: number; currency: string }; drop_percent?: number; channels?: string[] };

function ruleForm(a: PriceAlert, save: (patch: RulePatch) => Promise<void>): HTMLElement {
  const kindId = nextId('alert-kind');
  const valueId = nextId('alert-value');
  const errId = `${valueId}-error`;
  const kind = h('select', { id: kindId, name: 'kind', class: 'field-input field-select' }) as HTMLSelectElement;
  kind.add(new Option(`Maximum price (${a.currency})`, 'max'));
  kind.add(new Option('Drop of at least (%)', 'drop'));
  kind.value = a.max_price ? 'max' : 'drop';
  const value = h('input', { id: valueId, name: 'value', class: 'field-input', inputmode: 'decimal', 'aria-describedby': errId }) as HTMLInputElement;
  value.value = a.max_price ? String(a.max_price.amount_minor / 10 ** minorDigits(a.currency)) : String(a.drop_percent ?? '');
  const err = h('p', { class: 'field-error', id: errId, role: 'alert', hidden: true });
  const say = (text: string): void => {
    err.textContent = text;
    err.hidden = text === '';
  };
  const submit = button('Save', { type: 'submit', variant: 'secondary' });
  const channels = channelBoxes(a.channels ?? [], 'Tell me by');
  const form = h(
    'form',
    { class: 'alert-rule', novalidate: '' },
    h('div', { class: 'field' }, h('label', { for: kindId, class: 'field-label' }, 'Alert me on'), kind),
    h('div', { class: 'field' }, h('label', { for: valueId, class: 'field-label' }, 'Amount'), value, err),
    channels.el,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    say('');
    let patch: RulePatch;
    const chosen = channels.read();
    if (chosen.length === 0) {
      say('Choose at least one way to be told.');
      return;
    }
    if (kind.value === 'max') {
      const minor = parseMajor(value.value, a.currency);
      if (minor === null) {
        say(`Enter an amount in ${a.currency}, such as 350.`);
        value.setAttribute('aria-invalid', 'true');
        return;
      }
      patch = { max_price: { amount_minor: minor, currency: a.currency } };
    } else {
      const pct = Number(value.value);
      if (!Number.isInteger(pct) || pct < 1 || pct > 90) {
        say('Enter a whole percentage from 1 to 90.');
        value.setAttribute('aria-invalid', 'true');
        return;
      }
      patch = { drop_percent: pct };
    }
    const before = [...(a.channels ?? [])].sort().join(',');
    if (chosen.slice().sort().join(',') !== before) patch.channels = chosen; /* only a change is sent */
    value.removeAttribute('aria-invalid');
    submit.disabled = true;
    save(patch)
      .catch((x: unknown) => {
        say(describeError(x));
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

export function priceAlertsView(app: App, ctx: RouteContext, api: AlertsApi = new AlertsApi(app.session)): View {
  const page = accountPage('price-alerts', 'Price alerts', 'The trips you track. We tell you when a price drops below your maximum or by the share you chose, at most once a day per alert. Trips you book are watched without an alert: you hear when they get cheaper or their flights change.');
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
        h('p', { class: 'price-alert-dates' }, `${datesText(x.dates)} · ${cabinLabel(x.cabin)} · ${x.passengers} passenger${x.passengers === 1 ? '' : 's'}`),
        h('p', { class: 'price-alert-rule' }, ruleText(x)),
        h('p', { class: 'price-alert-channels' }, `By ${channelsText(x.channels)}`),
        priceLine('Last price', x.last_price_minor, x.currency),
        priceLine('Lowest seen', x.baseline_minor, x.currency),
        h('p', {}, h('a', { href: x.search_url, class: 'price-alert-search' }, 'See the flights')),
        historyToggle(app, x),
        ruleForm(x, async (patch) => {
          const updated = await api.update(x.id, patch);
          status.textContent = `Alert ${updated.origin} → ${updated.destination} saved: ${ruleText(updated)}, by ${channelsText(updated.channels)}.`;
          render(updated);
        }),
        del,
      );
    };
    render(a);
    return li;
  }

  function showList(alerts: PriceAlert[]): void {
    listCard.body.replaceChildren(h('ul', { class: 'price-alert-list', 'aria-labelledby': listCard.heading.id }, alerts.map(item)));
  }

  page.main.append(
    newAlertForm(app, api, (a) => {
      const ul = listCard.body.querySelector('.price-alert-list');
      if (ul) ul.prepend(item(a));
      else showList([a]);
      status.textContent = `Alert ${a.origin} → ${a.destination} created: ${ruleText(a)}.`;
    }),
  );

  function showEmpty(): void {
    listCard.body.replaceChildren(notice('No price alerts yet. Search for a trip and choose "Track prices" on the results, or make one below.', 'info', 'alerts-empty'), h('p', {}, h('a', { class: 'btn btn-primary', href: '/' }, 'Search flights')));
  }

  api
    .list()
    .then((alerts) => {
      if (destroyed) return;
      if (alerts.length === 0) {
        showEmpty();
        return;
      }
      showList(alerts);
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

const FORM_LABELS: Record<AlertFormField, string> = {
  origin: 'From',
  destination: 'To',
  departure: 'Departure',
  return: 'Return',
  month: 'Month',
  stay: 'Stay (days)',
  passengers: 'Passengers',
  currency: 'Currency',
  amount: 'Amount',
  channels: 'Tell me by',
};

/** The server's field names (src/alerts/spec.c) on the form's. */
const SERVER_FIELDS: Record<string, AlertFormField> = {
  origin: 'origin',
  destination: 'destination',
  'dates.departure': 'departure',
  'dates.return': 'return',
  'dates.month': 'month',
  'dates.stay': 'stay',
  'dates.stay.min': 'stay',
  'dates.stay.max': 'stay',
  'dates.round_trip': 'month',
  passengers: 'passengers',
  currency: 'currency',
  'max_price.amount_minor': 'amount',
  'max_price.currency': 'currency',
  max_price: 'amount',
  drop_percent: 'amount',
  channels: 'channels',
};

/** The "New price alert" card: every kind of dates, the rule and the channels. */
function newAlertForm(app: App, api: AlertsApi, created: (a: PriceAlert) => void): HTMLElement {
  const c = card('New price alert', { id: 'price-alert-form', description: 'Exact dates, or any day or the weekends of a month; we check the price whenever fares change.' });
  const origin = field({ label: FORM_LABELS.origin, name: 'origin', required: true, hint: 'An airport or city code, such as LHR or LON.', attrs: { maxlength: '3', autocapitalize: 'characters', class: 'field-input input-short' } });
  const destination = field({ label: FORM_LABELS.destination, name: 'destination', required: true, hint: 'Such as JFK or NYC.', attrs: { maxlength: '3', autocapitalize: 'characters', class: 'field-input input-short' } });
  const dateType = field({
    label: 'Dates',
    name: 'date_type',
    type: 'select',
    options: [
      { value: 'exact', label: 'Exact dates' },
      { value: 'month', label: 'Any day of a month' },
      { value: 'weekends', label: 'The weekends of a month' },
    ],
  });
  const departure = field({ label: FORM_LABELS.departure, name: 'departure', type: 'date', required: true });
  const ret = field({ label: FORM_LABELS.return, name: 'return', type: 'date', optional: true, hint: 'Empty for one way.' });
  const month = field({ label: FORM_LABELS.month, name: 'month', type: 'month', required: true, hint: 'YYYY-MM' });
  const rtId = nextId('alert-rt');
  const roundTrip = h('input', { type: 'checkbox', id: rtId, name: 'round_trip', class: 'check-input' }) as HTMLInputElement;
  const roundTripRow = h('div', { class: 'check-row form-field' }, roundTrip, h('label', { for: rtId }, 'Round trip'));
  const stayMin = field({ label: 'Shortest stay (days)', name: 'stay_min', type: 'number', attrs: { min: '1', max: '30', inputmode: 'numeric', class: 'field-input input-short' } });
  const stayMax = field({ label: 'Longest stay (days)', name: 'stay_max', type: 'number', attrs: { min: '1', max: '30', inputmode: 'numeric', class: 'field-input input-short' } });
  const cabin = field({ label: 'Cabin', name: 'cabin', type: 'select', options: SEARCH_CABINS.map((c) => ({ value: c.value, label: c.label })) });
  // Defaults as attributes, so that the form's reset after a creation keeps them.
  const passengers = field({ label: FORM_LABELS.passengers, name: 'passengers', type: 'number', attrs: { value: '1', min: '1', max: '9', inputmode: 'numeric', class: 'field-input input-short' } });
  const currency = field({ label: FORM_LABELS.currency, name: 'currency', attrs: { value: 'EUR', maxlength: '3', class: 'field-input input-short' } });
  const rule = field({ label: 'Alert me on', name: 'rule', type: 'select', options: [ { value: 'drop', label: 'A drop of at least (%)' }, { value: 'max', label: 'A price at or below (amount)' } ] });
  const amount = field({ label: FORM_LABELS.amount, name: 'amount', required: true, attrs: { inputmode: 'decimal', class: 'field-input input-short' } });
  const channels = channelBoxes(['email', 'in_app'], FORM_LABELS.channels);
  const channelsField = { wrap: channels.el, control: channels.first, error: channels.error, label: channels.legend as unknown as HTMLLabelElement };
  const submit = button('Create alert', { type: 'submit', iconPath: ICONS.plus });
  const form = h(
    'form',
    { class: 'grid-form', novalidate: '', 'aria-labelledby': c.heading.id },
    origin.wrap,
    destination.wrap,
    dateType.wrap,
    departure.wrap,
    ret.wrap,
    month.wrap,
    roundTripRow,
    stayMin.wrap,
    stayMax.wrap,
    cabin.wrap,
    passengers.wrap,
    currency.wrap,
    rule.wrap,
    amount.wrap,
    channels.el,
  );
  channels.el.classList.add('span-all');
  // Only the fields of the chosen dates are shown.
  const sync = (): void => {
    const t = dateType.control.value;
    departure.wrap.hidden = ret.wrap.hidden = t !== 'exact';
    month.wrap.hidden = roundTripRow.hidden = t === 'exact';
    stayMin.wrap.hidden = stayMax.wrap.hidden = t !== 'month' || !roundTrip.checked;
  };
  dateType.control.addEventListener('change', sync);
  roundTrip.addEventListener('change', sync);
  sync();
  const values = (): AlertFormValues => ({
    origin: origin.control.value,
    destination: destination.control.value,
    dateType: dateType.control.value as AlertFormValues['dateType'],
    departure: departure.control.value,
    returnDate: ret.control.value,
    month: month.control.value,
    roundTrip: roundTrip.checked,
    stayMin: stayMin.control.value,
    stayMax: stayMax.control.value,
    cabin: cabin.control.value as AlertFormValues['cabin'],
    passengers: passengers.control.value,
    currency: currency.control.value,
    rule: rule.control.value as AlertFormValues['rule'],
    amount: amount.control.value,
    channels: channels.read(),
  });
  const built = () => alertFromForm(values(), app.today());
  const ctl = new FormController<AlertFormField>({
    form,
    // The stay's message goes under the shortest stay.
    fields: { origin, destination, departure, return: ret, month, stay: stayMin, passengers, currency, amount, channels: channelsField },
    order: ['origin', 'destination', 'departure', 'return', 'month', 'stay', 'passengers', 'currency', 'amount', 'channels'],
    submit,
    validate: () => {
      const b = built();
      return 'errors' in b ? b.errors : {};
    },
  });
  form.append(h('div', { class: 'form-actions span-all' }, submit));
  ctl.alert.classList.add('span-all');
  ctl.status.remove();
  c.body.append(form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (ctl.busy || !ctl.check()) return;
    const b = built();
    if ('errors' in b) return;
    ctl.setBusy(true, 'Creating…');
    try {
      const a = await api.create(b.input);
      ctl.setBusy(false);
      ctl.clear();
      form.reset();
      sync();
      created(a);
    } catch (err) {
      ctl.setBusy(false);
      if (err instanceof SessionExpiredError) return;
      ctl.showProblem(err, { fields: SERVER_FIELDS, labels: FORM_LABELS });
    }
  });
  return c.el;
}

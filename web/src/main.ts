import './style.css';
import { AccountApi } from './accountApi';
import { ProfileStore, type App, type View, type ViewFactory } from './app';
import { mountHome, type HomeHandle } from './home';
import { mountNav } from './nav';
import { Router, type RouteContext, type RouteName } from './router';
import { preferenceApplier, searchCurrency } from './preferences';
import { resultsPathFor } from './results';
import { fromQuery, localToday, mountSearchForm, type SearchFormHandle } from './searchForm';
import { Session } from './session';
import { utcToday } from './validators';
import { accountView } from './views/account';
import { resetPasswordView, signInView, signUpView, verifyEmailView } from './views/auth';
import { exploreView } from './views/explore';
import { notFoundView } from './views/notFound';
import { resultsView } from './views/results';
import { securityView } from './views/security';
import { apiKeysView } from './views/apiKeys';
import { webhooksView } from './views/webhooks';
import { notificationsView } from './views/notifications';
import { travellersView } from './views/travellers';
import { priceAlertsView } from './views/priceAlerts';
import { bookView } from './views/book';
import { manageBookingView, tripsView } from './views/trips';
import { loadLastScheduleDate } from './horizon';

const VIEWS: Partial<Record<RouteName, ViewFactory>> = {
  'sign-in': signInView,
  'sign-up': signUpView,
  'verify-email': verifyEmailView,
  'reset-password': resetPasswordView,
  account: accountView,
  travellers: travellersView,
  'price-alerts': priceAlertsView,
  security: securityView,
  'api-keys': apiKeysView,
  webhooks: webhooksView,
  notifications: notificationsView,
  search: resultsView,
  explore: exploreView,
  book: bookView,
  trips: tripsView,
  'manage-booking': manageBookingView,
  'not-found': notFoundView,
};

function boot(): void {
  const homeView = document.getElementById('home-view');
  const appView = document.getElementById('app-view');
  const searchRoot = document.getElementById('search-root');
  const navList = document.querySelector<HTMLUListElement>('.site-nav ul');
  const live = document.getElementById('app-live');
  if (!homeView || !appView || !searchRoot || !navList) return;

  const year = document.getElementById('year');
  if (year) year.textContent = String(new Date().getFullYear());

  const session = new Session();
  const api = new AccountApi(session);
  const profile = new ProfileStore(() => api.getMe());

  let current: View | null = null;
  let search: SearchFormHandle | null = null;
  let onHome = false;
  let home: HomeHandle | null = null;
  const homeExtra = document.getElementById('home-extra');

  /**
   * Start a fresh search from the signed-in user's home airport and cabin
   * (once per page load, only on the home page, while the form is untouched
   * and the URL carries no search of its own: src/preferences.ts).
   */
  const prefs = preferenceApplier({ profile: () => profile.current, form: () => search, onHome: () => onHome, search: () => window.location.search });
  const applyPreferences = () => prefs.apply();

  const render = (ctx: RouteContext) => {
    current?.destroy?.();
    current = null;
    const name = ctx.route.name;
    document.title = name === 'home' ? 'Contrail — Flight search' : `${ctx.route.title} — Contrail`;
    let focusTarget: HTMLElement | null = null;
    onHome = name === 'home';
    if (name === 'home') {
      appView.hidden = true;
      appView.replaceChildren();
      homeView.hidden = false;
      if (!search) {
        // A valid search opens the results page (the form keeps its own state in the home URL).
        search = mountSearchForm(searchRoot, {
          onSearch: (s) => {
            home?.record(s);
            router.navigate(resultsPathFor(s, searchCurrency(profile.current)));
          },
        });
        // The pickers end where the schedules do, once the server says (GET /readyz).
        const form = search;
        void loadLastScheduleDate().then((last) => {
          if (last) form.setLastDate(last);
        });
        // Restore a search shared through the URL (?from=ZRH&to=NYC&...).
        const initial = fromQuery(ctx.url.search);
        if (Object.keys(initial).length > 0) void search.setState(initial);
        if (homeExtra) {
          home = mountHome({
            form: search,
            root: homeExtra,
            today: () => localToday(),
            search: () => window.location.search,
            currency: () => searchCurrency(profile.current),
            homeAirport: () => profile.current?.home_airport,
          });
          home.fillDefaults();
        }
      } else {
        home?.refresh();
      }
      applyPreferences();
      focusTarget = document.getElementById('hero-title');
      if (ctx.flash) app.toast(ctx.flash);
    } else {
      const factory = VIEWS[name] ?? notFoundView;
      current = factory(app, ctx);
      homeView.hidden = true;
      appView.replaceChildren(current.el);
      appView.hidden = false;
      focusTarget = current.heading ?? null;
      if (ctx.flash) app.announce(ctx.flash);
    }
    nav.update();
    if (!ctx.initial) {
      window.scrollTo(0, 0);
      // Move focus to the new page's heading so keyboard and screen-reader users start there.
      focusTarget?.setAttribute('tabindex', '-1');
      focusTarget?.focus({ preventScroll: true });
    }
  };

  const router = new Router({ isSignedIn: () => session.signedIn, render });

  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  const app: App = {
    session,
    api,
    profile,
    router,
    announce(message) {
      if (!live) return;
      live.textContent = '';
      // A fresh text node after a tick is announced reliably.
      setTimeout(() => (live.textContent = message), 60);
    },
    toast(message) {
      const el = document.getElementById('toast');
      if (!el) return;
      el.textContent = message;
      el.classList.add('is-visible');
      clearTimeout(toastTimer);
      toastTimer = setTimeout(() => el.classList.remove('is-visible'), 6000);
    },
    today: () => utcToday(),
    download(blob, filename) {
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      a.rel = 'noopener';
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  };

  const nav = mountNav(navList, app, () => router.route?.route.name ?? null);

  profile.subscribe(() => {
    applyPreferences();
    if (onHome) home?.refresh();
  });

  session.onChange((change) => {
    if (change.signedIn) return;
    prefs.reset();
    profile.clear();
    // The refresh token was refused (expired, revoked, reused): leave protected pages.
    if (change.reason === 'expired' && router.route?.route.auth) {
      router.refresh({ flash: 'Your session has ended. Please sign in again.' });
    }
  });

  router.start();
  // A reload keeps the refresh token: load the profile for the header (refreshes the access token).
  if (session.signedIn) void profile.load().catch(() => undefined);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot, { once: true });
} else {
  boot();
}

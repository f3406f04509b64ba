import './style.css';
import { fromQuery, mountSearchForm } from './searchForm';

function boot(): void {
  const root = document.getElementById('search-root');
  if (!root) return;

  const form = mountSearchForm(root);

  // Restore a search shared through the URL (?from=ZRH&to=NYC&...).
  const initial = fromQuery(window.location.search);
  if (Object.keys(initial).length > 0) void form.setState(initial);

  const year = document.getElementById('year');
  if (year) year.textContent = String(new Date().getFullYear());

  // "Sign in" is a placeholder for now.
  const signIn = document.getElementById('sign-in-link');
  signIn?.addEventListener('click', (e) => {
    e.preventDefault();
    toast('Accounts are coming soon.');
  });
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

function toast(text: string): void {
  let el = document.getElementById('toast');
  if (!el) {
    el = document.createElement('div');
    el.id = 'toast';
    el.className = 'toast';
    el.setAttribute('role', 'status');
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add('is-visible');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el?.classList.remove('is-visible'), 3000);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', boot, { once: true });
} else {
  boot();
}

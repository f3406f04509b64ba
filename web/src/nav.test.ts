import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccountApi } from './accountApi';
import { ProfileStore, type App } from './app';
import { mountNav } from './nav';
import type { Router } from './router';
import { Session } from './session';
import { FakeAuthServer, ManualTimers, MemoryStorage } from './testServer';
import { press } from './testUtils';

function makeApp(): App {
  const server = new FakeAuthServer();
  const timers = new ManualTimers();
  const session = new Session({ fetchFn: server.fetch, storage: new MemoryStorage(), now: () => server.now, setTimer: timers.set, clearTimer: timers.clear });
  return {
    session,
    api: new AccountApi(session, server.fetch),
    profile: new ProfileStore(async () => null as never),
    router: { navigate: vi.fn(), refresh: vi.fn(), route: null } as unknown as Router,
    announce: vi.fn(),
    toast: vi.fn(),
    today: () => '2026-11-23',
    download: vi.fn(),
  };
}

function mount() {
  const nav = document.createElement('nav');
  nav.className = 'site-nav';
  const ul = document.createElement('ul');
  nav.append(ul);
  const outside = document.createElement('button');
  document.body.append(nav, outside);
  const handle = mountNav(ul, makeApp(), () => 'home');
  const toggle = nav.querySelector<HTMLButtonElement>('.nav-toggle')!;
  return { nav, ul, toggle, handle, outside };
}

afterEach(() => document.body.replaceChildren());

describe('header menu button (small screens)', () => {
  it('is a disclosure button controlling the list of links', () => {
    const { ul, toggle, nav } = mount();
    expect(toggle).not.toBeNull();
    expect(toggle.textContent).toContain('Menu');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(toggle.getAttribute('aria-controls')).toBe(ul.id);
    expect(nav.classList.contains('is-open')).toBe(false);
    expect(Array.from(ul.querySelectorAll('a')).map((a) => a.textContent)).toContain('Explore');
  });

  it('opens on click with focus on the first link; Escape closes and returns focus', () => {
    const { toggle, nav } = mount();
    toggle.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(nav.classList.contains('is-open')).toBe(true);
    expect(document.activeElement?.textContent).toBe('Search');
    press(document.activeElement as HTMLElement, 'Escape');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(nav.classList.contains('is-open')).toBe(false);
    expect(document.activeElement).toBe(toggle);
  });

  it('closes when a link is chosen, on a click outside and when focus leaves', () => {
    const { toggle, nav, ul, outside } = mount();
    toggle.click();
    ul.querySelector<HTMLAnchorElement>('a[href="/explore"]')!.addEventListener('click', (e) => e.preventDefault());
    ul.querySelector<HTMLAnchorElement>('a[href="/explore"]')!.click();
    expect(nav.classList.contains('is-open')).toBe(false);
    toggle.click();
    outside.click();
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    outside.focus();
    expect(nav.classList.contains('is-open')).toBe(false);
  });
});

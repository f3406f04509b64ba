/**
 * What every view gets: the session, the account API, the signed-in user's
 * profile (cached, shared with the header), the router and a few UI services.
 */

import type { FetchFn } from './api';
import type { AccountApi, Profile } from './accountApi';
import type { RouteContext, Router } from './router';
import type { Session } from './session';

export interface App {
  session: Session;
  api: AccountApi;
  profile: ProfileStore;
  router: Router;
  /** fetch for the airport lookups (tests inject a fake). */
  fetchFn?: FetchFn;
  /** Announce a message to screen readers (polite), without showing it. */
  announce(message: string): void;
  /** A short visible + announced message (the toast). */
  toast(message: string): void;
  /** The server's "today" (UTC, YYYY-MM-DD), used by date rules. */
  today(): string;
  /** Save a Blob as a file. */
  download(blob: Blob, filename: string): void;
}

export interface View {
  el: HTMLElement;
  /** Receives focus after a client-side navigation (usually the h1). */
  heading?: HTMLElement;
  destroy?(): void;
}

export type ViewFactory = (app: App, ctx: RouteContext) => View;

/** The signed-in user's profile, loaded once and shared. */
export class ProfileStore {
  private value: Profile | null = null;
  private pending: Promise<Profile> | null = null;
  private readonly listeners = new Set<(p: Profile | null) => void>();
  private readonly loader: () => Promise<Profile>;

  constructor(loader: () => Promise<Profile>) {
    this.loader = loader;
  }

  get current(): Profile | null {
    return this.value;
  }

  /** The profile, from cache unless `force`. Concurrent calls share one request. */
  load(force = false): Promise<Profile> {
    if (this.value && !force) return Promise.resolve(this.value);
    if (!this.pending) {
      const p = this.loader().then(
        (profile) => {
          if (this.pending === p) {
            this.pending = null;
            this.set(profile);
          }
          return profile;
        },
        (err: unknown) => {
          if (this.pending === p) this.pending = null;
          throw err;
        },
      );
      this.pending = p;
    }
    return this.pending;
  }

  set(profile: Profile): void {
    this.value = profile;
    this.emit();
  }

  clear(): void {
    this.pending = null;
    if (this.value === null) return;
    this.value = null;
    this.emit();
  }

  subscribe(fn: (p: Profile | null) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn(this.value);
  }
}

/** "Ada Lovelace" → "AL"; "ada@example.com" → "A". */
export function initials(nameOrEmail: string): string {
  const base = nameOrEmail.includes('@') && !nameOrEmail.includes(' ') ? nameOrEmail.split('@')[0]! : nameOrEmail;
  const words = base.trim().split(/[\s._-]+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = Array.from(words[0]!)[0] ?? '';
  const last = words.length > 1 && !nameOrEmail.includes('@') ? (Array.from(words[words.length - 1]!)[0] ?? '') : '';
  return (first + last).toUpperCase();
}

export function displayName(p: Profile | null): string {
  if (!p) return 'Your account';
  return p.name?.trim() || p.email;
}

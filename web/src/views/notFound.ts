import type { App, View } from '../app';
import { h } from '../dom';
import type { RouteContext } from '../router';
import { authPage } from './shell';

export function notFoundView(_app: App, ctx: RouteContext): View {
  const page = authPage('Page not found', '');
  page.body.append(
    h('p', { class: 'auth-lede' }, 'There is nothing at ', h('code', {}, ctx.url.pathname), '. The link may be old or mistyped.'),
    h('p', { class: 'form-actions' }, h('a', { class: 'btn btn-primary', href: '/' }, 'Search flights'), h('a', { class: 'btn btn-ghost', href: '/account' }, 'Your account')),
  );
  return { el: page.el, heading: page.heading };
}

import { beforeEach, describe, expect, inject, it } from 'vitest';
import { UsergraphClient } from '../src/client';
import { mount } from '../src/page';
import { Session } from '../src/session';

// The page against a real usergraph (test/server.ts): a person's clicks,
// checked by what the page then shows.

const url = inject('usergraphURL');

describe.skipIf(!url)('the example page', () => {
  let root: HTMLElement;

  beforeEach(() => {
    document.body.innerHTML = '<div id="app"></div>';
    root = document.querySelector<HTMLElement>('#app')!;
    mount(root, new Session(new UsergraphClient(url)));
  });

  const status = () => root.querySelector<HTMLElement>('#status')!;
  // Waits until the status line changes from what it was, and returns it.
  const settled = async (before: string) => {
    await expect.poll(() => status().textContent, { timeout: 10_000 }).not.toBe(before);
    return status().textContent!;
  };
  const submit = async (form: string, fields: Record<string, string>) => {
    const f = root.querySelector<HTMLFormElement>(`#${form}`)!;
    for (const [name, value] of Object.entries(fields)) {
      f.querySelector<HTMLInputElement>(`[name="${name}"]`)!.value = value;
    }
    const before = status().textContent!;
    f.requestSubmit();
    return settled(before);
  };
  const click = async (id: string) => {
    const before = status().textContent!;
    root.querySelector<HTMLButtonElement>(`#${id}`)!.click();
    return settled(before);
  };

  it('signs up, reads me, refreshes, signs out, signs in again and asks for a reset', async () => {
    const name = `ada${Date.now()}`;
    expect(await submit('signup', { username: name, email: `${name}@example.com`, password: 'correct horse battery' }))
      .toBe(`Signed up and in as ${name}.`);
    expect(await click('me-button')).toBe(`You are ${name}.`);
    expect(JSON.parse(root.querySelector('#me')!.textContent!)).toMatchObject({ username: name, status: 'ACTIVE' });
    expect(await click('refresh')).toMatch(/^Session refreshed until \d{4}-\d\d-\d\dT/);
    expect(await click('me-button')).toBe(`You are ${name}.`);
    expect(await click('signout')).toBe('Signed out.');
    expect(await click('me-button')).toMatch(/^UNAUTHENTICATED: /);
    expect(status().dataset.kind).toBe('error');
    expect(await submit('signin', { identifier: name, password: 'correct horse battery' })).toBe(`Signed in as ${name}.`);
    expect(await submit('reset', { email: `${name}@example.com` })).toBe('If an account has this address, a reset link is on its way.');
  });

  it('shows the error code of a refused sign-in', async () => {
    expect(await submit('signin', { identifier: 'nobody', password: 'wrong horse battery' })).toMatch(/^INVALID_CREDENTIALS: /);
    expect(status().dataset.kind).toBe('error');
  });
});

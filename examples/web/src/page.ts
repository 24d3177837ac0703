import { UsergraphError } from './client';
import type { AccountFragment } from './gql/graphql';
import type { Session } from './session';

// The page: a form or a button per operation and one status line. Every
// answer (or error code) is shown in #status; the signed-in account in #me.

const template = `
  <h1>usergraph from TypeScript</h1>
  <form id="signup">
    <fieldset><legend>Sign up</legend>
      <input name="username" placeholder="username" autocomplete="username" required />
      <input name="email" type="email" placeholder="email (optional)" />
      <input name="password" type="password" placeholder="password" autocomplete="new-password" required />
      <button>Sign up</button>
    </fieldset>
  </form>
  <form id="signin">
    <fieldset><legend>Sign in</legend>
      <input name="identifier" placeholder="username, email or phone" autocomplete="username" required />
      <input name="password" type="password" placeholder="password" autocomplete="current-password" required />
      <button>Sign in</button>
    </fieldset>
  </form>
  <p>
    <button id="me-button" type="button">Who am I?</button>
    <button id="refresh" type="button">Refresh the session</button>
    <button id="signout" type="button">Sign out</button>
  </p>
  <form id="reset">
    <fieldset><legend>Forgot your password?</legend>
      <input name="email" type="email" placeholder="email" required />
      <button>Mail me a reset link</button>
    </fieldset>
  </form>
  <p id="status" role="status">Not signed in.</p>
  <pre id="me"></pre>
`;

export function mount(root: HTMLElement, session: Session): void {
  root.innerHTML = template;
  const status = root.querySelector<HTMLElement>('#status')!;
  const meBox = root.querySelector<HTMLElement>('#me')!;

  const show = (text: string, kind: 'ok' | 'error' = 'ok') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };
  const showAccount = (a: AccountFragment | null) => {
    meBox.textContent = a ? JSON.stringify(a, null, 2) : '';
  };
  // Runs one action and shows its outcome; errors show their code.
  const run = async (action: () => Promise<string>) => {
    try {
      show(await action());
    } catch (e) {
      show(e instanceof UsergraphError ? `${e.code}: ${e.message}` : String(e), 'error');
    }
  };
  const onSubmit = (id: string, action: (data: FormData) => Promise<string>) => {
    const form = root.querySelector<HTMLFormElement>(`#${id}`)!;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void run(() => action(new FormData(form)));
    });
  };
  const onClick = (id: string, action: () => Promise<string>) => {
    root.querySelector<HTMLButtonElement>(`#${id}`)!.addEventListener('click', () => void run(action));
  };
  const text = (data: FormData, name: string) => String(data.get(name) ?? '');

  onSubmit('signup', async (data) => {
    const email = text(data, 'email');
    const user = await session.signUp({
      username: text(data, 'username'),
      email: email === '' ? null : email,
      password: text(data, 'password'),
    });
    showAccount(user);
    return session.signedIn ? `Signed up and in as ${user.username}.` : `Signed up as ${user.username} (${user.status}).`;
  });
  onSubmit('signin', async (data) => {
    const user = await session.signIn(text(data, 'identifier'), text(data, 'password'));
    showAccount(user);
    return `Signed in as ${user.username}.`;
  });
  onClick('me-button', async () => {
    const me = await session.me();
    showAccount(me);
    return me ? `You are ${me.username}.` : 'No user: an application session.';
  });
  onClick('refresh', async () => {
    const tokens = await session.refresh();
    return `Session refreshed until ${tokens.session.expiresAt}.`;
  });
  onClick('signout', async () => {
    await session.signOut();
    showAccount(null);
    return 'Signed out.';
  });
  onSubmit('reset', async (data) => {
    await session.requestPasswordReset(text(data, 'email'));
    return 'If an account has this address, a reset link is on its way.';
  });
}

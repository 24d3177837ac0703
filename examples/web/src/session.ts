import type { UsergraphClient } from './client';
import type { AccountFragment, SignupInput, TokensFragment } from './gql/graphql';
import { Me, Refresh, RequestPasswordReset, SignIn, SignOut, SignUp } from './operations';

// What the page does, one method per button. The access token lives in the
// client (memory); the refresh token here. A production app would keep the
// refresh token where a reload finds it, or rely on usergraph's HttpOnly
// cookies (README, "Browser clients").
export class Session {
  private refreshToken: string | null = null;

  constructor(private readonly client: UsergraphClient) {}

  get signedIn(): boolean {
    return this.client.accessToken !== null;
  }

  // Signs up; the account is signed in at once unless the server keeps new
  // accounts PENDING (then auth is null).
  async signUp(input: SignupInput): Promise<AccountFragment> {
    const { signup } = await this.client.request(SignUp, { input });
    if (signup.auth) this.keep(signup.auth);
    return signup.user;
  }

  async signIn(identifier: string, password: string): Promise<AccountFragment> {
    const { login } = await this.client.request(SignIn, { input: { identifier, password } });
    return this.keep(login).user;
  }

  async me(): Promise<AccountFragment | null> {
    return (await this.client.request(Me, {})).me ?? null;
  }

  // Exchanges the refresh token for new tokens; the old one stops working.
  async refresh(): Promise<TokensFragment> {
    if (!this.refreshToken) throw new Error('not signed in');
    const { refreshSession } = await this.client.request(Refresh, { refreshToken: this.refreshToken });
    return this.keep(refreshSession);
  }

  async signOut(): Promise<void> {
    try {
      await this.client.request(SignOut, {});
    } finally {
      this.client.accessToken = null;
      this.refreshToken = null;
    }
  }

  // Always true: the server does not tell whether an account has the address.
  async requestPasswordReset(email: string): Promise<boolean> {
    return (await this.client.request(RequestPasswordReset, { email })).requestPasswordReset;
  }

  private keep(tokens: TokensFragment): TokensFragment {
    this.client.accessToken = tokens.accessToken;
    this.refreshToken = tokens.refreshToken;
    return tokens;
  }
}

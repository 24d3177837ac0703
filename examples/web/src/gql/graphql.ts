/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type LoginInput = {
  /**
   * AuthPayload.deviceCookie of an earlier sign-in, for clients without a
   * cookie jar: a known client keeps its own failure budget and may sign in
   * while the account is locked for others.
   */
  deviceCookie?: string | null | undefined;
  /**
   * The client's device id (1 to 256 printable characters), unrelated to the
   * device cookie; required under device control, where only a permitted
   * device signs in (DEVICE_DENIED otherwise).
   */
  deviceToken?: string | null | undefined;
  /** Username, email or phone number. */
  identifier: string;
  password: string;
};

export type SignupInput = {
  additionalInfo?: string | null | undefined;
  address?: string | null | undefined;
  avatarUrl?: string | null | undefined;
  /** The client's device id (1 to 256 printable characters); required under device control. */
  deviceToken?: string | null | undefined;
  email?: string | null | undefined;
  firstName?: string | null | undefined;
  fullName?: string | null | undefined;
  lastName?: string | null | undefined;
  /** Any JSON object, stored as given. */
  metadata?: unknown;
  password: string;
  phone?: string | null | undefined;
  tags?: Array<string> | null | undefined;
  username?: string | null | undefined;
  website?: string | null | undefined;
};

export type UserStatus =
  /** May sign in. */
  | 'ACTIVE'
  /** Signed up, not yet activated. */
  | 'PENDING'
  /** Blocked by an administrator (or deleted). */
  | 'SUSPENDED';

export type AccountFragment = { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> };

export type TokensFragment = { accessToken: string, refreshToken: string, expiresAt: string, session: { id: string, expiresAt: string }, user: { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> } };

export type SignUpMutationVariables = Exact<{
  input: SignupInput;
}>;


export type SignUpMutation = { signup: { user: { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> }, auth: { accessToken: string, refreshToken: string, expiresAt: string, session: { id: string, expiresAt: string }, user: { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> } } | null } };

export type SignInMutationVariables = Exact<{
  input: LoginInput;
}>;


export type SignInMutation = { login: { accessToken: string, refreshToken: string, expiresAt: string, session: { id: string, expiresAt: string }, user: { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> } } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> } | null };

export type RefreshMutationVariables = Exact<{
  refreshToken: string;
}>;


export type RefreshMutation = { refreshSession: { accessToken: string, refreshToken: string, expiresAt: string, session: { id: string, expiresAt: string }, user: { id: string, username: string | null, email: string | null, emailVerified: boolean, fullName: string | null, status: UserStatus, createdAt: string, lastLoginAt: string | null, roles: Array<{ name: string }> } } };

export type SignOutMutationVariables = Exact<{ [key: string]: never; }>;


export type SignOutMutation = { logout: boolean };

export type RequestPasswordResetMutationVariables = Exact<{
  email: string;
}>;


export type RequestPasswordResetMutation = { requestPasswordReset: boolean };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const AccountFragmentDoc = new TypedDocumentString(`
    fragment Account on User {
  id
  username
  email
  emailVerified
  fullName
  status
  roles {
    name
  }
  createdAt
  lastLoginAt
}
    `, {"fragmentName":"Account"}) as unknown as TypedDocumentString<AccountFragment, unknown>;
export const TokensFragmentDoc = new TypedDocumentString(`
    fragment Tokens on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  session {
    id
    expiresAt
  }
  user {
    ...Account
  }
}
    fragment Account on User {
  id
  username
  email
  emailVerified
  fullName
  status
  roles {
    name
  }
  createdAt
  lastLoginAt
}`, {"fragmentName":"Tokens"}) as unknown as TypedDocumentString<TokensFragment, unknown>;
export const SignUpDocument = new TypedDocumentString(`
    mutation SignUp($input: SignupInput!) {
  signup(input: $input) {
    user {
      ...Account
    }
    auth {
      ...Tokens
    }
  }
}
    fragment Account on User {
  id
  username
  email
  emailVerified
  fullName
  status
  roles {
    name
  }
  createdAt
  lastLoginAt
}
fragment Tokens on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  session {
    id
    expiresAt
  }
  user {
    ...Account
  }
}`) as unknown as TypedDocumentString<SignUpMutation, SignUpMutationVariables>;
export const SignInDocument = new TypedDocumentString(`
    mutation SignIn($input: LoginInput!) {
  login(input: $input) {
    ...Tokens
  }
}
    fragment Account on User {
  id
  username
  email
  emailVerified
  fullName
  status
  roles {
    name
  }
  createdAt
  lastLoginAt
}
fragment Tokens on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  session {
    id
    expiresAt
  }
  user {
    ...Account
  }
}`) as unknown as TypedDocumentString<SignInMutation, SignInMutationVariables>;
export const MeDocument = new TypedDocumentString(`
    query Me {
  me {
    ...Account
  }
}
    fragment Account on User {
  id
  username
  email
  emailVerified
  fullName
  status
  roles {
    name
  }
  createdAt
  lastLoginAt
}`) as unknown as TypedDocumentString<MeQuery, MeQueryVariables>;
export const RefreshDocument = new TypedDocumentString(`
    mutation Refresh($refreshToken: String!) {
  refreshSession(refreshToken: $refreshToken) {
    ...Tokens
  }
}
    fragment Account on User {
  id
  username
  email
  emailVerified
  fullName
  status
  roles {
    name
  }
  createdAt
  lastLoginAt
}
fragment Tokens on AuthPayload {
  accessToken
  refreshToken
  expiresAt
  session {
    id
    expiresAt
  }
  user {
    ...Account
  }
}`) as unknown as TypedDocumentString<RefreshMutation, RefreshMutationVariables>;
export const SignOutDocument = new TypedDocumentString(`
    mutation SignOut {
  logout
}
    `) as unknown as TypedDocumentString<SignOutMutation, SignOutMutationVariables>;
export const RequestPasswordResetDocument = new TypedDocumentString(`
    mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email)
}
    `) as unknown as TypedDocumentString<RequestPasswordResetMutation, RequestPasswordResetMutationVariables>;
/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment Account on User {\n    id\n    username\n    email\n    emailVerified\n    fullName\n    status\n    roles {\n      name\n    }\n    createdAt\n    lastLoginAt\n  }\n": typeof types.AccountFragmentDoc,
    "\n  fragment Tokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    session {\n      id\n      expiresAt\n    }\n    user {\n      ...Account\n    }\n  }\n": typeof types.TokensFragmentDoc,
    "\n  mutation SignUp($input: SignupInput!) {\n    signup(input: $input) {\n      user {\n        ...Account\n      }\n      auth {\n        ...Tokens\n      }\n    }\n  }\n": typeof types.SignUpDocument,
    "\n  mutation SignIn($input: LoginInput!) {\n    login(input: $input) {\n      ...Tokens\n    }\n  }\n": typeof types.SignInDocument,
    "\n  query Me {\n    me {\n      ...Account\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation Refresh($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...Tokens\n    }\n  }\n": typeof types.RefreshDocument,
    "\n  mutation SignOut {\n    logout\n  }\n": typeof types.SignOutDocument,
    "\n  mutation RequestPasswordReset($email: String!) {\n    requestPasswordReset(email: $email)\n  }\n": typeof types.RequestPasswordResetDocument,
};
const documents: Documents = {
    "\n  fragment Account on User {\n    id\n    username\n    email\n    emailVerified\n    fullName\n    status\n    roles {\n      name\n    }\n    createdAt\n    lastLoginAt\n  }\n": types.AccountFragmentDoc,
    "\n  fragment Tokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    session {\n      id\n      expiresAt\n    }\n    user {\n      ...Account\n    }\n  }\n": types.TokensFragmentDoc,
    "\n  mutation SignUp($input: SignupInput!) {\n    signup(input: $input) {\n      user {\n        ...Account\n      }\n      auth {\n        ...Tokens\n      }\n    }\n  }\n": types.SignUpDocument,
    "\n  mutation SignIn($input: LoginInput!) {\n    login(input: $input) {\n      ...Tokens\n    }\n  }\n": types.SignInDocument,
    "\n  query Me {\n    me {\n      ...Account\n    }\n  }\n": types.MeDocument,
    "\n  mutation Refresh($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...Tokens\n    }\n  }\n": types.RefreshDocument,
    "\n  mutation SignOut {\n    logout\n  }\n": types.SignOutDocument,
    "\n  mutation RequestPasswordReset($email: String!) {\n    requestPasswordReset(email: $email)\n  }\n": types.RequestPasswordResetDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment Account on User {\n    id\n    username\n    email\n    emailVerified\n    fullName\n    status\n    roles {\n      name\n    }\n    createdAt\n    lastLoginAt\n  }\n"): typeof import('./graphql').AccountFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment Tokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    session {\n      id\n      expiresAt\n    }\n    user {\n      ...Account\n    }\n  }\n"): typeof import('./graphql').TokensFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignUp($input: SignupInput!) {\n    signup(input: $input) {\n      user {\n        ...Account\n      }\n      auth {\n        ...Tokens\n      }\n    }\n  }\n"): typeof import('./graphql').SignUpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($input: LoginInput!) {\n    login(input: $input) {\n      ...Tokens\n    }\n  }\n"): typeof import('./graphql').SignInDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      ...Account\n    }\n  }\n"): typeof import('./graphql').MeDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($refreshToken: String!) {\n    refreshSession(refreshToken: $refreshToken) {\n      ...Tokens\n    }\n  }\n"): typeof import('./graphql').RefreshDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignOut {\n    logout\n  }\n"): typeof import('./graphql').SignOutDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestPasswordReset($email: String!) {\n    requestPasswordReset(email: $email)\n  }\n"): typeof import('./graphql').RequestPasswordResetDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

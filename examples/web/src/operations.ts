import { graphql } from './gql';

// The operations the page sends. `npm run codegen` turns each graphql(`...`)
// call into a typed document in src/gql/: the variables and the result of
// each are checked by tsc against usergraph's schema.

graphql(`
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
`);

graphql(`
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
`);

export const SignUp = graphql(`
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
`);

export const SignIn = graphql(`
  mutation SignIn($input: LoginInput!) {
    login(input: $input) {
      ...Tokens
    }
  }
`);

export const Me = graphql(`
  query Me {
    me {
      ...Account
    }
  }
`);

export const Refresh = graphql(`
  mutation Refresh($refreshToken: String!) {
    refreshSession(refreshToken: $refreshToken) {
      ...Tokens
    }
  }
`);

export const SignOut = graphql(`
  mutation SignOut {
    logout
  }
`);

export const RequestPasswordReset = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

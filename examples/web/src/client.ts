import type { TypedDocumentString } from './gql/graphql';

// A GraphQL error as usergraph sends it: programs branch on `code` (API.md's
// table, e.g. INVALID_CREDENTIALS); `field` names the input at fault.
export class UsergraphError extends Error {
  readonly code: string;
  readonly field?: string;

  constructor(message: string, code: string, field?: string) {
    super(message);
    this.name = 'UsergraphError';
    this.code = code;
    this.field = field;
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; field?: string } }[];
}

// Sends typed documents to one endpoint, with the access token of the
// session when there is one. A few lines over fetch: the documents carry
// their own types, so no GraphQL client library is needed.
export class UsergraphClient {
  accessToken: string | null = null;

  constructor(
    private readonly endpoint: string,
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  async request<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
    };
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    const res = await this.fetchFn(this.endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const body = (await res.json()) as GraphQLResponse<TResult>;
    const first = body.errors?.[0];
    if (first) {
      throw new UsergraphError(first.message, first.extensions?.code ?? `HTTP_${res.status}`, first.extensions?.field);
    }
    if (!body.data) throw new UsergraphError(`no data (HTTP ${res.status})`, `HTTP_${res.status}`);
    return body.data;
  }
}

// usergraph's GraphiQL page: the page (httpapi/graphiql/page.html) gives
// the endpoint, the preloaded walkthrough and the response's style nonce as
// data attributes of #graphiql, so this bundle needs no inline script and
// the page's Content-Security-Policy can say script-src 'self'.
import { setNonce } from 'get-nonce';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import './page.css';

const root = document.getElementById('graphiql');
const { endpoint, styleNonce, defaultQuery, defaultVariables } = root.dataset;

// The <style> elements that GraphiQL's menus and dialogs add (through
// react-remove-scroll) carry this nonce, which the policy allows.
setNonce(styleNonce);

// Same-origin requests: the access-token cookie a sign-in sets travels with
// them, and they pass the server's cross-origin check.
const fetcher = createGraphiQLFetcher({ url: new URL(endpoint, window.location.href).href });

// GraphiQL fills the variables editor of the first tab from the variables
// prop (or what it stored), never from defaultTabs; the prop would also
// replace what a returning visitor typed. So it is given on a first visit
// only: when GraphiQL has stored no tabs yet.
const firstVisit = window.localStorage.getItem('graphiql:tabState') === null;

createRoot(root).render(
  <GraphiQL
    fetcher={fetcher}
    defaultTabs={[{ query: defaultQuery, variables: defaultVariables }]}
    variables={firstVisit ? defaultVariables : undefined}
    defaultEditorToolsVisibility="variables"
  />,
);
